"""What a rule may read: the facts schema, as data.

Each entry names a fact, its argument types, its result type and a one-line description in English and
Chinese for the rule editor's help. A field is written bare (`age`); a function always with parentheses
(`bmi()`, `latest("8480-6")`). Arguments are literals. Adding a function to the language is one entry
here; the facts layer (`careloop.rules.facts.Snapshot` for one patient, the SQL compiler for a population)
then answers it.

Types:
- `number`: a quantity, compared with numbers; `days`: a count of days (a date seen from today, so a
  "date-days" value), compared with numbers and other day counts but never with a plain number fact, so
  that `latest_days("8480-6") > age` is refused;
- `string`: text, compared with `==`, `!=` and `in` only (orderings of text depend on the database's
  collation, so the language has none); a string with `values` accepts only those;
- `boolean`: a condition on its own, or compared with `==` / `!=` to true or false.
"""

# ruff: noqa: RUF001 -- the Chinese help text takes full-width punctuation, as Chinese text does.

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType


class Type(StrEnum):
    NUMBER = "number"
    DAYS = "days"
    STRING = "string"
    BOOLEAN = "boolean"


@dataclass(frozen=True)
class Parameter:
    name: str
    type: Type
    # A regular expression the whole argument must match, so that a code the facts never hold (a
    # lower-case "i10", a LOINC code without its check digit) is refused on save, not silently false.
    pattern: str | None = None
    hint: str = ""  # what the pattern wants, in words, for the error message


@dataclass(frozen=True)
class Entry:
    name: str
    type: Type
    en: str
    zh: str
    params: tuple[Parameter, ...] = ()
    values: tuple[str, ...] = ()  # the only values a string fact takes, when they are fixed
    function: bool = True

    @property
    def signature(self) -> str:
        if not self.function:
            return self.name
        return f"{self.name}({', '.join(param.name for param in self.params)})"


@dataclass(frozen=True)
class Vocabulary:
    entries: Mapping[str, Entry]

    def __post_init__(self) -> None:
        misnamed = [name for name, entry in self.entries.items() if name != entry.name]
        if misnamed:
            raise ValueError(f"vocabulary entries filed under another name: {', '.join(misnamed)}")

    def get(self, name: str) -> Entry | None:
        return self.entries.get(name)

    def extended(self, *entries: Entry) -> Vocabulary:
        """This vocabulary and more (a protocol trigger's own facts, say); a later entry wins."""
        return Vocabulary(MappingProxyType({**self.entries, **{entry.name: entry for entry in entries}}))


_LOINC = Parameter("loinc", Type.STRING, r"\d{1,7}-\d", 'a LOINC code such as "8480-6"')
_ICD10 = Parameter(
    "icd10_prefix", Type.STRING, r"[A-Z](\d{1,2}(\.\d{0,4})?)?", 'an ICD-10 code such as "I10"'
)
_SCORE = Parameter("code", Type.STRING, r"\S+", "a score code")
_TEXT = r".*\S.*"  # a name or purpose: anything but blank


def _field(name: str, type_: Type, en: str, zh: str, values: tuple[str, ...] = ()) -> Entry:
    return Entry(name, type_, en, zh, values=values, function=False)


ENTRIES = (
    _field("age", Type.NUMBER, "Age in completed years.", "年龄（周岁）。"),
    _field(
        "sex",
        Type.STRING,
        'Sex: "male" or "female".',
        '性别："male"（男）或 "female"（女）。',
        ("male", "female"),
    ),
    _field("deceased", Type.BOOLEAN, "The patient has died.", "患者已死亡。"),
    _field("moved", Type.BOOLEAN, "The patient has moved away.", "患者已迁出。"),
    _field(
        "days_since_contact",
        Type.DAYS,
        "Days since the last successful contact.",
        "距上次成功联系的天数。",
    ),
    Entry(
        "has_condition",
        Type.BOOLEAN,
        'Has an active diagnosis whose ICD-10 code starts with the prefix ("E11" matches E11.9).',
        "有以该 ICD-10 编码开头的现患诊断（“E11” 包含 E11.9）。",
        (_ICD10,),
    ),
    Entry(
        "has_tag",
        Type.BOOLEAN,
        "Carries the tag.",
        "带有该标签。",
        (Parameter("name", Type.STRING, _TEXT, "a tag name"),),
    ),
    Entry(
        "has_medication",
        Type.BOOLEAN,
        "Takes a medication whose ATC code starts with the prefix, or whose name is exactly this.",
        "正在使用 ATC 编码以此开头、或名称与此相同的药物。",
        (Parameter("atc_prefix_or_name", Type.STRING, _TEXT, "an ATC code or a medication name"),),
    ),
    Entry(
        "latest",
        Type.NUMBER,
        "Latest value of the indicator, in its canonical unit.",
        "该指标的最近一次结果（标准单位）。",
        (_LOINC,),
    ),
    Entry(
        "latest_days",
        Type.DAYS,
        "Days since the latest value of the indicator.",
        "该指标最近一次结果距今的天数。",
        (_LOINC,),
    ),
    Entry(
        "trend",
        Type.STRING,
        'Trend of the indicator: "worsening", "improving" or "stable" (judged by which way is better).',
        "该指标的趋势：“worsening”（恶化）、“improving”（好转）或 “stable”（平稳），按哪个方向为好判断。",
        (_LOINC,),
        # The Trends tab's words (observations/trends/detection.py): a rule need not know that a falling
        # eGFR is bad. "stable" is two or more days of results with neither (careloop.facts.indicators).
        values=("worsening", "improving", "stable"),
    ),
    Entry(
        "score",
        Type.NUMBER,
        'Latest total of the questionnaire score with this code (e.g. "44261-6").',
        "该评分（如 “44261-6”）最近一次的总分。",
        (_SCORE,),
    ),
    Entry(
        "band",
        Type.STRING,
        'Band of the latest total of that score (e.g. "severe").',
        "该评分最近一次总分所在的分级（如 “severe”）。",
        (_SCORE,),
    ),
    Entry("bmi", Type.NUMBER, "Latest body-mass index, kg/m².", "最近一次体重指数（kg/m²）。"),
    Entry(
        "consent",
        Type.BOOLEAN,
        "Has given consent for the purpose and not withdrawn it.",
        "已同意该用途且未撤回。",
        (Parameter("purpose", Type.STRING, _TEXT, "a consent purpose"),),
    ),
    Entry(
        "discharged_within",
        Type.BOOLEAN,
        'Was discharged within the last N days, from the department ("" for any department).',
        "最近 N 天内从该科室出院（“” 表示任何科室）。",
        (Parameter("days", Type.DAYS), Parameter("department_or_empty", Type.STRING)),
    ),
    Entry(
        "open_alerts",
        Type.NUMBER,
        "Number of alerts not yet resolved (open or acknowledged).",
        "尚未处理完的预警数（待处理或已确认）。",
    ),
)

VOCABULARY = Vocabulary(MappingProxyType({entry.name: entry for entry in ENTRIES}))
