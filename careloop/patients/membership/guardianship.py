"""Who may give consent for a patient (PIPL Art. 31: a guardian for a minor under 14). Pure.

Only grants are held to the rule. A withdrawal is accepted from whoever states it, because PIPL Art. 15
lets consent be withdrawn at any time and refusing one would keep processing data against a stated wish.
"""

from careloop.patients.consent import requires_guardian


def giver_problems(
    age_years: int, granted: bool, given_by: str, guardian_name: str, guardian_relationship: str
) -> list[str]:
    """Codes of what is wrong with who gives this consent, empty when it may be recorded.

    - "guardian_required": a grant for a patient under 14 given by the patient themself
    - "guardian_name" / "guardian_relationship": a guardian gives consent but is not identified
    """
    problems: list[str] = []
    if granted and given_by != "guardian" and requires_guardian(age_years):
        problems.append("guardian_required")
    if given_by == "guardian":
        if not guardian_name.strip():
            problems.append("guardian_name")
        if not guardian_relationship.strip():
            problems.append("guardian_relationship")
    return problems
