"""The auto-tag rules CareLoop ships (issue 25, 自动设置标签), as rule text, each with its threshold's source.

Only tags whose threshold is in ../shared/reference/ are here; `NOT_SHIPPED` names the others and why.
Sources are cited as "norms §n" (reference/followup-norms.md) and "risk §n" (reference/risk-equations.md).
Indicator codes are LOINC, as in careloop/observations/data/indicators.json: 8480-6 systolic and 8462-4
diastolic blood pressure (mmHg), 1558-6 fasting plasma glucose (mmol/L), 4548-4 HbA1c (%), 8280-0 waist
(cm). Diagnoses are ICD-10 prefixes.

A tag reads the latest value whatever its age: the sources give no window, and a protocol or alert that
wants a recent value adds `latest_days("8480-6") <= 90` itself. A single raised reading is a finding to
act on, not a diagnosis (risk §6.1 and §6.4 ask for repeated readings on different days); the tags mark
patients to look at, and the diagnosis codes stay the record of what was diagnosed.
"""

from __future__ import annotations

_HYPERTENSIVE_DISEASE = " or ".join(
    f'has_condition("{code}")' for code in ("I10", "I11", "I12", "I13", "I15")
)
# I10-I13: primary hypertension, alone or with heart or kidney disease. The Norm manages these; I15
# (secondary hypertension) is referred rather than enrolled (norms §1), so it counts for 高血压 only.
_PRIMARY_HYPERTENSION = " or ".join(f'has_condition("{code}")' for code in ("I10", "I11", "I12", "I13"))
_RAISED_BP = 'latest("8480-6") >= 140 or latest("8462-4") >= 90'

# Hypertensive diseases are the ICD-10 block I10-I15 (there is no I14). Office SBP >= 140 and/or
# DBP >= 90 mmHg in adults >= 18 years: 中国高血压防治指南 2018 (risk §6.1, confidence high).
HYPERTENSION = f"{_HYPERTENSIVE_DISEASE} or age >= 18 and ({_RAISED_BP})"

# Diabetes mellitus is the ICD-10 block E10-E14. FPG >= 7.0 mmol/L or HbA1c >= 6.5 %: 中国 2 型糖尿病防治
# 指南 2020 (risk §6.4, confidence high for glucose, medium-high for HbA1c).
DIABETES = (
    " or ".join(f'has_condition("{code}")' for code in ("E10", "E11", "E12", "E13", "E14"))
    + ' or latest("1558-6") >= 7.0 or latest("4548-4") >= 6.5'
)

# BMI 24.0 to < 28.0 kg/m² is overweight, >= 28.0 obese, in adults >= 18: WS/T 428-2013 成人体重判定
# (risk §6.2, confidence high; also the high-risk factor list of norms §1.1).
OVERWEIGHT = "age >= 18 and bmi() >= 24.0 and bmi() < 28.0"
OBESITY = "age >= 18 and bmi() >= 28.0"

# Waist >= 90 cm in men, >= 85 cm in women, adults >= 18: WS/T 428-2013 中心型肥胖 (risk §6.2, high).
CENTRAL_OBESITY = (
    'age >= 18 and (sex == "male" and latest("8280-0") >= 90 or sex == "female" and latest("8280-0") >= 85)'
)

# Aged 65 and over: the older-adult service of the Norm, 老年人健康管理服务规范 (norms §5, confidence high).
OLDER_ADULT = "age >= 65"

# 控制不满意: SBP >= 140 or DBP >= 90 mmHg at follow-up (norms §1.4, confidence medium). The relaxed
# 150/90 for patients >= 65 rests on one secondary source (confidence low, norms §8.3), so it is not used.
BP_NOT_CONTROLLED = f"({_PRIMARY_HYPERTENSION}) and ({_RAISED_BP})"

# 控制不满意: FPG >= 7.0 mmol/L at follow-up, for type 2 diabetes (E11), the population the Norm manages
# (norms §2, confidence medium).
GLUCOSE_NOT_CONTROLLED = 'has_condition("E11") and latest("1558-6") >= 7.0'

DEFAULT_TAGS: dict[str, str] = {
    "高血压": HYPERTENSION,
    "糖尿病": DIABETES,
    "超重": OVERWEIGHT,
    "肥胖": OBESITY,
    "中心性肥胖": CENTRAL_OBESITY,
    "老年人": OLDER_ADULT,
    "血压未达标": BP_NOT_CONTROLLED,
    "血糖未达标": GLUCOSE_NOT_CONTROLLED,
}

# Each shipped rule's key (TagRule.key, and PatientTag.rule on the tags it adds), the source of its threshold
# and that source's confidence in the reference. Only high and medium confidence ship switched on
# (careloop.autotags.defaults); every rule here is one or the other.
SOURCES: dict[str, tuple[str, str, str]] = {
    "高血压": ("hypertension", "中国高血压防治指南 2018 (risk §6.1); ICD-10 I10-I15", "high"),
    "糖尿病": ("diabetes", "中国 2 型糖尿病防治指南 2020 (risk §6.4); ICD-10 E10-E14", "high"),
    "超重": ("overweight", "WS/T 428-2013 成人体重判定 (risk §6.2)", "high"),
    "肥胖": ("obesity", "WS/T 428-2013 成人体重判定 (risk §6.2)", "high"),
    "中心性肥胖": ("central-obesity", "WS/T 428-2013 中心型肥胖 (risk §6.2)", "high"),
    "老年人": ("older-adult", "老年人健康管理服务规范 (norms §5)", "high"),
    "血压未达标": ("bp-not-controlled", "控制不满意 SBP ≥140 or DBP ≥90 mmHg (norms §1.4)", "medium"),
    "血糖未达标": (
        "glucose-not-controlled",
        "控制不满意 FPG ≥7.0 mmol/L, type 2 diabetes (norms §2)",
        "medium",
    ),
}

# The other default tags, left out until a sourced threshold is in ../shared/reference/: they ship
# neither as a rule nor as a disabled one (a disabled rule would need a threshold to write), so an
# organization writes its own in the rule editor.
NOT_SHIPPED: dict[str, str] = {
    "血脂异常": "the reference has LDL-C targets by ASCVD risk (risk §6.5), no definition of dyslipidaemia",
    "吸烟": "no threshold in the reference, and no smoking fact in the vocabulary yet",
    "新发异常": "no definition in the reference (observations/trends flags newly_abnormal, not yet a fact)",
    # The fact exists (`days_since_contact`, the newest successful contact), the threshold does not: "no
    # contact in 3 months" is in no source we found (norms §7).
    "失访风险": "days_since_contact is a fact now, but no source gives 失访 a threshold (norms §7)",
}
