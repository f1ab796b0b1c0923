"""Patient facts: what is true of a patient now, for the rules (DESIGN.md, "How data flows": facts).

- `models`: the facts too dear to compute while a rule runs (latest value and trend per indicator, BMI),
  rebuilt by `refresh.refresh_facts` after an import and by `careloop facts refresh`;
- `sources`: the facts read live from their own tables (tags, conditions, medications, consent, scores,
  discharges);
- `compile.matching(rule, organization_id)`: a rule over the whole population, in one query;
- `snapshots.snapshot_for(patients)`: the same facts for some patients, for `careloop.rules.evaluate`;
- `preview.preview(text, organization_id)`: the rule editor's "try it".
"""
