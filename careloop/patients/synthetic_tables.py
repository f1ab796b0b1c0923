"""The tables behind the synthetic population: names, places, age structure, prevalence, medicines.

Sources and caveats are listed in careloop/patients/synthetic.py; every figure here is approximate.
"""

import datetime

# ruff: noqa: RUF001 -- Chinese names and titles use full-width punctuation, as the ICD-10 catalogue does.

# Age bands of adults (inclusive years) and two age structures over them.
AGE_BANDS: list[tuple[int, int]] = [(18, 29), (30, 44), (45, 59), (60, 69), (70, 79), (80, 95)]
# Who is registered at a community clinic: mostly middle-aged and older people with chronic conditions.
CLINIC_AGE_WEIGHTS = [0.07, 0.13, 0.27, 0.25, 0.19, 0.09]
# Adults 18+ in the 2020 census, for age-standardizing the rates back to national figures.
CENSUS_ADULT_WEIGHTS = [0.18, 0.27, 0.30, 0.13, 0.08, 0.04]

CHINA_TZ = datetime.timezone(datetime.timedelta(hours=8), "CST")  # Asia/Shanghai, no DST since 1991

# code: (name as in careloop/patients/data/icd10_chronic.csv, tag, rates by AGE_BANDS, male : female ratio)
CONDITIONS: dict[str, tuple[str, str, list[float], float]] = {
    "I10": ("特发性（原发性）高血压", "高血压", [0.05, 0.15, 0.33, 0.48, 0.57, 0.62], 1.2),
    "E11.9": ("2型糖尿病不伴有并发症", "糖尿病", [0.03, 0.065, 0.14, 0.21, 0.23, 0.22], 1.15),
    "E78.5": ("未特指的高脂血症", "高脂血症", [0.15, 0.30, 0.40, 0.44, 0.44, 0.40], 1.1),
    "I25.1": ("动脉硬化性心脏病", "冠心病", [0.001, 0.005, 0.025, 0.06, 0.10, 0.14], 1.3),
    "I63.9": ("未特指的脑梗死", "脑卒中", [0.0005, 0.003, 0.015, 0.035, 0.055, 0.07], 1.4),
    "J44.9": ("未特指的慢性阻塞性肺病", "慢阻肺", [0.005, 0.015, 0.06, 0.12, 0.18, 0.22], 2.0),
    "N18.9": ("未特指的慢性肾脏病", "慢性肾病", [0.02, 0.04, 0.07, 0.12, 0.18, 0.24], 1.0),
    "K76.0": ("脂肪肝，不可归类在他处者", "脂肪肝", [0.15, 0.28, 0.34, 0.32, 0.26, 0.18], 1.5),
    "M10.9": ("未特指的痛风", "痛风", [0.005, 0.009, 0.015, 0.018, 0.02, 0.018], 5.0),
}

# What is prescribed for each condition: (medicine, dose, route, frequency); the first is the commonest.
MEDICATIONS: dict[str, list[tuple[str, str, str, str]]] = {
    "I10": [
        ("苯磺酸氨氯地平片", "5mg", "oral", "qd"),
        ("硝苯地平控释片", "30mg", "oral", "qd"),
        ("缬沙坦胶囊", "80mg", "oral", "qd"),
        ("厄贝沙坦片", "150mg", "oral", "qd"),
        ("氯沙坦钾片", "50mg", "oral", "qd"),
        ("琥珀酸美托洛尔缓释片", "47.5mg", "oral", "qd"),
        ("吲达帕胺缓释片", "1.5mg", "oral", "qd"),
    ],
    "E11.9": [
        ("盐酸二甲双胍片", "0.5g", "oral", "bid"),
        ("格列美脲片", "2mg", "oral", "qd"),
        ("阿卡波糖片", "50mg", "oral", "tid"),
        ("磷酸西格列汀片", "100mg", "oral", "qd"),
        ("达格列净片", "10mg", "oral", "qd"),
        ("甘精胰岛素注射液", "12U", "subcutaneous", "qn"),
    ],
    "E78.5": [
        ("阿托伐他汀钙片", "20mg", "oral", "qn"),
        ("瑞舒伐他汀钙片", "10mg", "oral", "qn"),
        ("依折麦布片", "10mg", "oral", "qd"),
    ],
    "I25.1": [
        ("阿司匹林肠溶片", "100mg", "oral", "qd"),
        ("硫酸氢氯吡格雷片", "75mg", "oral", "qd"),
        ("单硝酸异山梨酯缓释片", "40mg", "oral", "qd"),
        ("硝酸甘油片（舌下含服）", "0.5mg", "other", "prn"),
    ],
    "I63.9": [
        ("阿司匹林肠溶片", "100mg", "oral", "qd"),
        ("阿托伐他汀钙片", "40mg", "oral", "qn"),
        ("硫酸氢氯吡格雷片", "75mg", "oral", "qd"),
    ],
    "J44.9": [
        ("噻托溴铵粉吸入剂", "18μg", "inhaled", "qd"),
        ("布地奈德福莫特罗吸入粉雾剂", "160/4.5μg 1吸", "inhaled", "bid"),
        ("硫酸沙丁胺醇吸入气雾剂", "100μg 1-2揿", "inhaled", "prn"),
    ],
    "N18.9": [
        ("碳酸氢钠片", "1g", "oral", "tid"),
        ("复方α-酮酸片", "2.52g", "oral", "tid"),
    ],
    "K76.0": [
        ("多烯磷脂酰胆碱胶囊", "456mg", "oral", "tid"),
    ],
    "M10.9": [
        ("非布司他片", "40mg", "oral", "qd"),
        ("别嘌醇片", "100mg", "oral", "bid"),
        ("秋水仙碱片", "0.5mg", "oral", "prn"),
    ],
}
# Share of patients with the condition who take medicine for it.
TREATED_SHARE = {
    "I10": 0.80, "E11.9": 0.90, "E78.5": 0.55, "I25.1": 0.90, "I63.9": 0.85,
    "J44.9": 0.60, "N18.9": 0.40, "K76.0": 0.15, "M10.9": 0.60,
}  # fmt: skip

SURNAMES: list[tuple[str, float]] = [
    ("王", 7.1), ("李", 7.0), ("张", 6.7), ("刘", 5.4), ("陈", 4.6), ("杨", 3.1), ("黄", 2.4), ("赵", 2.3),
    ("吴", 2.0), ("周", 1.9), ("徐", 1.5), ("孙", 1.5), ("马", 1.4), ("朱", 1.3), ("胡", 1.3), ("郭", 1.2),
    ("何", 1.2), ("林", 1.1), ("高", 1.1), ("罗", 0.9), ("郑", 0.9), ("梁", 0.8), ("谢", 0.7), ("宋", 0.7),
    ("唐", 0.7), ("许", 0.6), ("韩", 0.6), ("冯", 0.6), ("邓", 0.6), ("曹", 0.6), ("彭", 0.5), ("曾", 0.5),
    ("肖", 0.5), ("田", 0.5), ("董", 0.5), ("袁", 0.5), ("潘", 0.5), ("于", 0.5), ("蒋", 0.5), ("蔡", 0.5),
    ("余", 0.4), ("杜", 0.4), ("叶", 0.4), ("程", 0.4), ("苏", 0.4), ("魏", 0.4), ("吕", 0.4), ("丁", 0.4),
    ("任", 0.4), ("沈", 0.4), ("姚", 0.3), ("卢", 0.3), ("姜", 0.3), ("崔", 0.3), ("钟", 0.3), ("谭", 0.3),
    ("陆", 0.3), ("汪", 0.3), ("范", 0.3), ("金", 0.3), ("石", 0.3), ("廖", 0.3), ("贾", 0.3), ("夏", 0.2),
    ("韦", 0.2), ("付", 0.2), ("方", 0.2), ("白", 0.2), ("邹", 0.2), ("孟", 0.2), ("熊", 0.2), ("秦", 0.2),
    ("邱", 0.2), ("江", 0.2), ("尹", 0.2), ("薛", 0.2), ("闫", 0.2), ("段", 0.2), ("雷", 0.2), ("侯", 0.2),
    ("龙", 0.2), ("史", 0.2), ("陶", 0.2), ("黎", 0.2), ("贺", 0.2), ("顾", 0.2), ("毛", 0.2), ("郝", 0.2),
    ("龚", 0.2), ("邵", 0.2), ("万", 0.1), ("钱", 0.1), ("覃", 0.1), ("武", 0.1), ("戴", 0.1), ("孔", 0.1),
    ("单", 0.05), ("翟", 0.05), ("解", 0.03), ("仇", 0.02), ("欧阳", 0.05), ("司马", 0.01), ("上官", 0.01),
    ("诸葛", 0.01),
]  # fmt: skip
# The hundred names above cover ~85 % of people; the rest share thousands of rarer surnames, some of them:
_RARER = (
    "严牛施温樊洪康常汤庞葛殷伍符倪柳申聂鲁季岳齐安乔盛童向易牟章祝耿包左宁柴柯管甘舒邢焦费卜涂房辛詹关苗蓝喻"
    "尚景阮蒲边卓骆鲍冉占池谷隋褚霍鞠曲项瞿屈"
)
SURNAMES += [(name, 15 / len(_RARER)) for name in _RARER]

# Given-name characters by sex and by the era of birth: names follow fashions.
GIVEN_CHARS = {
    ("male", "old"): "国建华明德福志文光荣金林海忠成军民生庆祥仁山贵财水春胜利平",
    ("male", "middle"): "伟强军勇刚明杰涛斌辉华峰东波平磊鹏健兵亮宏新俊锋林超永",
    ("male", "young"): "浩宇轩博睿泽鑫然晨阳磊鹏超帅杰凯晖昊旭航毅俊哲铭",
    ("female", "old"): "秀英兰桂珍玉凤芳梅淑琴华翠云霞莲荣素彩菊香",
    ("female", "middle"): "丽敏静燕艳娟霞红芳玲萍霞琳莉雪慧英颖婷倩洁",
    ("female", "young"): "欣怡婷雨佳悦琪涵萱思梦瑶雪晴诗颖蕾璐月妍",
}
# Whole given names typical of people born before 1960.
CLASSIC_NAMES = {
    "male": ["建国", "国庆", "建军", "卫东", "建华", "援朝", "志强", "德福", "国强", "振华"],
    "female": ["秀英", "桂英", "淑珍", "玉兰", "秀兰", "桂兰", "凤英", "秀珍", "玉梅", "淑英"],
}

# Where people were first registered: real county-level codes (GB/T 2260). Most patients come from the
# clinic's own city (杭州); the rest moved there from other provinces.
LOCAL_COUNTIES = ["330102", "330105", "330106", "330108", "330109", "330110"]
OTHER_COUNTIES = [
    "110101", "110105", "110108", "310104", "310115", "320102", "320506", "340104", "350102", "360102",
    "370102", "370202", "410105", "420106", "430104", "440106", "440304", "500103", "510107", "610113",
    "130102", "210102", "230103", "450103", "530102", "330302", "330402", "330602",
]  # fmt: skip
LOCAL_DISTRICTS = ["上城区", "拱墅区", "西湖区", "滨江区", "萧山区", "余杭区"]
ROADS = [
    "文三路", "教工路", "古翠路", "莫干山路", "天目山路", "湖墅南路", "丰潭路",
    "江南大道", "学院路", "文一西路", "凤起路", "庆春路", "解放路", "秋涛路",
    "体育场路", "延安路", "环城北路", "和睦路", "德胜路", "紫金港路",
]  # fmt: skip
COMMUNITIES = [
    "阳光花园", "翠苑一区", "和睦新村", "朝晖五区", "文鼎苑", "嘉绿苑", "古荡新村",
    "桂花城", "锦绣江南", "金色家园", "三塘南村", "府苑新村", "星洲花园", "东方郡",
    "德胜新村",
]  # fmt: skip

# Mainland mobile prefixes in use (China Mobile, Unicom, Telecom, Broadnet).
MOBILE_PREFIXES = [
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155",
    "156", "157", "158", "159", "166", "173", "175", "176", "177", "178", "180", "181", "182", "183", "184",
    "185", "186", "187", "188", "189", "191", "198", "199",
]  # fmt: skip

# Ethnicity codes of GB/T 3304 (careloop/patients/choices.py) with their census shares.
ETHNICITY_WEIGHTS = [
    ("01", 91.1), ("08", 1.4), ("03", 0.8), ("11", 0.7), ("05", 0.8), ("06", 0.8), ("07", 0.7),
    ("15", 0.7), ("04", 0.5), ("02", 0.4), ("10", 0.1), ("22", 0.1),
]  # fmt: skip
WORKING_OCCUPATIONS = [
    ("professional", 18), ("office", 14), ("commerce", 22), ("production", 16), ("civil_servant", 6),
    ("agriculture", 6), ("military", 0.5), ("unemployed", 8), ("other", 9.5),
]  # fmt: skip
INSURANCE_WEIGHTS = [
    ("employee", 48), ("resident", 42), ("public", 3), ("commercial", 2), ("self_pay", 4), ("other", 1),
]  # fmt: skip

ALLERGIES = [
    # (substance, category, reaction, share of patients)
    ("青霉素", "medication", "皮疹", 0.035),
    ("头孢类抗生素", "medication", "皮疹、瘙痒", 0.015),
    ("磺胺类药物", "medication", "皮疹", 0.01),
    ("阿司匹林", "medication", "哮喘发作", 0.004),
    ("碘造影剂", "medication", "荨麻疹", 0.004),
    ("海鲜（虾、蟹）", "food", "荨麻疹", 0.02),
    ("花生", "food", "口唇肿胀", 0.004),
    ("牛奶", "food", "腹泻", 0.006),
    ("花粉", "environment", "鼻炎、打喷嚏", 0.02),
    ("尘螨", "environment", "鼻炎、哮喘", 0.015),
]
FAMILY_CONDITIONS = [
    # (ICD-10 code, name, share of patients with an affected parent)
    ("I10", "高血压", 0.35),
    ("E11.9", "2型糖尿病", 0.15),
    ("I25.1", "冠心病", 0.08),
    ("I63.9", "脑梗死", 0.08),
    ("C16", "胃恶性肿瘤", 0.03),
    ("C34", "支气管和肺恶性肿瘤", 0.03),
]
ACUTE_DIAGNOSES = [
    "J06.9 急性上呼吸道感染",
    "K29.7 未特指的胃炎",
    "M54.5 下背痛",
    "R51 头痛",
    "L30.9 未特指的皮炎",
]
CHECKUP_DIAGNOSIS = "Z00.0 一般性医学检查"
DEPARTMENT_FOR = {
    "I10": "心内科",
    "I25.1": "心内科",
    "E11.9": "内分泌科",
    "E78.5": "心内科",
    "M10.9": "内分泌科",
}
DEPARTMENTS = ["全科", "心内科", "内分泌科", "慢病管理科"]
# The fields of each section of a generated patient's record, named as the model fields they fill.
RECORD_FIELDS: dict[str, tuple[str, ...]] = {
    "conditions": ("icd10_code", "name", "onset_date", "clinical_status"),
    "medications": ("name", "dose", "route", "frequency", "start_date", "stop_date"),
    "allergies": ("substance", "category", "reaction", "severity"),
    "family_history": ("relative", "icd10_code", "condition", "note"),
    "encounters": ("encounter_class", "admitted_at", "discharged_at", "department", "diagnoses"),
    "lifestyle": (
        "smoking", "cigarettes_per_day", "alcohol", "diet",
        "salt_intake", "exercise", "sleep_hours", "assessed_on",
    ),
}  # fmt: skip
CARD_TIERS = [("standard", 70), ("silver", 18), ("gold", 9), ("platinum", 3)]
ALCOHOL_WEIGHTS: dict[str, list[tuple[str, float]]] = {
    "male": [("never", 30), ("occasional", 35), ("regular", 22), ("heavy", 6), ("former", 7)],
    "female": [("never", 70), ("occasional", 26), ("regular", 3), ("heavy", 0.5), ("former", 0.5)],
}
DIET_WEIGHTS = [("balanced", 50), ("meat_heavy", 18), ("vegetarian", 12), ("high_sugar", 8), ("high_fat", 12)]
EXERCISE_WEIGHTS = [("never", 25), ("sometimes", 30), ("weekly", 15), ("regular", 18), ("daily", 12)]
