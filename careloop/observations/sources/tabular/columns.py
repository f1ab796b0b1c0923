"""Which column of an upload holds what: our stable keys, their bilingual headers and common synonyms.

Pure: no Django import. Header text is compared after `normalize_header`, so "身份证号", " 身份证号 ",
"ID_Number" and "id number" all meet, and full-width brackets equal ASCII ones.
"""

import unicodedata
from dataclasses import dataclass, field

from careloop.observations.importing.parsed import Problem, because


@dataclass(frozen=True)
class Column:
    key: str  # stable English key, used in mappings and in code
    zh: str  # Chinese header of the template
    en: str  # English words, also accepted as a header
    synonyms: tuple[str, ...] = ()  # other headers seen in hospital exports, best first


def _names(text: str) -> tuple[str, ...]:
    """ "a|b|c" -> ("a", "b", "c"): keeps the long lists of Chinese names short to write."""
    return tuple(name for name in text.split("|") if name)


def _column(key: str, zh: str, en: str, synonyms: str = "") -> Column:
    return Column(key, zh, en, _names(synonyms))


# Template order. A header is claimed by the first key whose names contain it; within a key the
# earlier name wins when a file has several (采样时间 before 报告时间: the sample time is when the value
# was true, the report time only when it was signed). 项目代码 comes last for the indicator: hospital
# item codes are mostly local, the names are what the catalogue knows.
# fmt: off
COLUMNS: tuple[Column, ...] = (
    _column("id_number", "身份证号", "ID number", "身份证号码|身份证|证件号码|证件号|公民身份号码|id card"),
    _column("mrn", "病历号/体检号", "MRN", "病历号|体检号|病人ID|患者ID|病人编号|患者编号|档案号|"
            "体检编号|门诊号|住院号|登记号|patient id|medical record number"),
    _column("name", "姓名", "name", "患者姓名|病人姓名|patient name"),
    _column("sex", "性别", "sex", "gender"),
    _column("birth_date", "出生日期", "birth date", "生日|出生年月日|date of birth|dob|birthday"),
    _column("indicator", "检查项目", "indicator", "检验项目|项目名称|检查项目名称|检验项目名称|指标|"
            "指标名称|检查指标|项目|test|test name|item|loinc|项目代码|项目编码"),
    _column("value", "结果", "value", "结果值|检查结果|检验结果|测定值|测量值|数值|result"),
    _column("unit", "单位", "unit", "结果单位|units"),
    _column("time", "检查时间", "time", "采样时间|采集时间|检验时间|检查日期|体检日期|体检时间|"
            "报告时间|报告日期|日期|时间|date|datetime|effective time"),
    _column("reference_range", "参考范围", "reference range",
            "参考值|参考区间|参考值范围|ref range|normal range"),
    _column("source_id", "结果编号", "source id", "结果ID|result id"),
    _column("report_id", "报告编号", "report id", "报告号|报告单号|报告ID|report number"),
    _column("institution", "体检机构", "institution", "机构|检查机构|体检中心|医院|hospital"),
    _column("package", "体检套餐", "package", "套餐|套餐名称"),
    _column("conclusion", "总检结论", "conclusion", "结论|体检结论|总检意见|summary"),
    _column("abnormal_flag", "异常标识", "abnormal flag", "异常提示|结果提示|提示|标识|flag"),
)
# Headers common in wide exports that are neither identity nor results. Kept out of the indicator
# columns so a phone number never travels on as a "result" (and into an error report) in clear.
IGNORED_HEADERS = _names(
    "序号|编号|年龄|age|no|#|电话|手机|手机号|手机号码|联系电话|phone|mobile|地址|住址|address|"
    "工作单位|单位名称|部门|科室|备注|remark|民族|婚姻|婚姻状况|职业|邮箱|email|医生|总检医生|"
    "审核医生|检查医生"
)
# Bracketed header parts read as a unit although they have no "/", "%" or "^" (see split_unit).
BARE_UNITS = frozenset(
    unit.casefold() for unit in _names("mmHg|kPa|kg|g|mg|cm|mm|m|斤|公斤|fL|pg|bpm|次|℃|°C|IU|U|cm2|kg/m2")
)
# fmt: on
TEMPLATE_KEYS: tuple[str, ...] = tuple(c.key for c in COLUMNS if c.key != "abnormal_flag")
KEYS = frozenset(c.key for c in COLUMNS)
IDENTITY_KEYS = ("id_number", "mrn")
# Columns that describe one result, not the person or the check: never an indicator in the wide layout.
NOT_INDICATORS_WIDE = frozenset(
    {"unit", "value", "indicator", "reference_range", "source_id", "abnormal_flag"}
)


def template_header(column: Column) -> str:
    """The template's bilingual header: Chinese for people, the stable key for machines."""
    return f"{column.zh} ({column.key})"


def normalize_header(text: object) -> str:
    """Fold width (NFKC: full-width brackets and letters), case, spaces, underscores, hyphens and "*"."""
    if text is None:
        return ""
    folded = unicodedata.normalize("NFKC", str(text)).casefold()
    return "".join(ch for ch in folded if not ch.isspace() and ch not in "_-*")


def _build_index() -> dict[str, tuple[str, int]]:
    index: dict[str, tuple[str, int]] = {}
    for column in COLUMNS:
        names = (template_header(column), column.key, column.zh, column.en, *column.synonyms)
        for rank, name in enumerate(names):
            index.setdefault(normalize_header(name), (column.key, rank))
    return index


HEADER_INDEX = _build_index()
IGNORED = frozenset(normalize_header(h) for h in IGNORED_HEADERS)


def column_letter(index: int) -> str:
    """Spreadsheet letter of a 0-based column index: 0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def split_unit(header: str) -> tuple[str, str]:
    """ "空腹血糖(mmol/L)" -> ("空腹血糖", "mmol/L"); "糖化血红蛋白(HbA1c)" stays whole (not a unit).

    The bracket is read as a unit only when it looks like one (has "/", "%" or "^", or is a known
    bare unit); otherwise it is part of the name and the catalogue decides.
    """
    text = unicodedata.normalize("NFKC", header).strip()
    if not text.endswith(")") or "(" not in text:
        return text, ""
    start = text.rindex("(")
    inner = text[start + 1 : -1].strip()
    name = text[:start].strip()
    if name and inner and (any(ch in inner for ch in "/%^") or inner.casefold() in BARE_UNITS):
        return name, inner
    return text, ""


@dataclass
class Plan:
    """Where each of our keys sits in the file (0-based column indexes) and how the file is laid out."""

    header_row: int  # 1-based row number of the header
    headers: list[str]
    positions: dict[str, int] = field(default_factory=dict)
    layout: str = "long"  # long: one row per result; wide: one column per indicator
    indicators: list[tuple[int, str, str]] = field(default_factory=list)  # wide: (column, indicator, unit)

    def field_name(self, key_or_index: str | int) -> str:
        index = self.positions[key_or_index] if isinstance(key_or_index, str) else key_or_index
        return f"column {column_letter(index)} ({self.headers[index]})"


def _mapped_positions(
    mapping: dict[str, str], normalized: list[str], headers: list[str], header_row: int
) -> tuple[dict[str, int], list[Problem], set[str]]:
    positions: dict[str, int] = {}
    problems: list[Problem] = []
    missing: set[str] = set()
    for key, their_header in mapping.items():
        if key not in KEYS:
            problems.append(
                Problem(
                    "mapping",
                    key,
                    str(their_header),
                    because(
                        "Unknown column key '%(key)s' in the mapping; known keys: %(keys)s.",
                        key=key,
                        keys=", ".join(sorted(KEYS)),
                    ),
                    "unknown_key",
                )
            )
            continue
        wanted = normalize_header(their_header)
        if wanted in normalized:
            positions[key] = normalized.index(wanted)
        else:
            missing.add(key)
            problems.append(
                Problem(
                    f"row {header_row}",
                    "header",
                    str(their_header),
                    because(
                        "The mapping puts '%(key)s' in column '%(header)s', "
                        "but the header row has no such column (it has: %(headers)s).",
                        key=key,
                        header=their_header,
                        headers=", ".join(h for h in headers if h),
                    ),
                    "missing_column",
                )
            )
    return positions, problems, missing


def plan_columns(
    headers: list[str],
    header_row: int,
    mapping: dict[str, str] | None = None,
    layout: str = "auto",
    ignore: tuple[str, ...] = (),
    need_time: bool = True,
) -> tuple[Plan | None, list[Problem]]:
    """Match the header row to our keys (mapping first, then auto-detection) and decide the layout.

    Returns no plan when a required column is missing: the patient identifier (id_number or mrn),
    the time (unless the caller gives a default), and either indicator + value (long) or at least one
    indicator column (wide).
    """
    normalized = [normalize_header(h) for h in headers]
    positions, problems, missing = _mapped_positions(mapping or {}, normalized, headers, header_row)
    taken = set(positions.values())
    best: dict[str, tuple[int, int]] = {}  # key -> (rank, column)
    for index, name in enumerate(normalized):
        hit = HEADER_INDEX.get(name)
        if hit is None or index in taken:
            continue
        key, rank = hit
        if key not in positions and key not in missing and (key not in best or rank < best[key][0]):
            best[key] = (rank, index)
    positions.update({key: index for key, (_rank, index) in best.items()})
    plan = Plan(header_row, headers, positions)
    if layout == "auto":
        layout = "long" if "indicator" in positions or "value" in positions else "wide"
    plan.layout = layout
    skip = IGNORED | {normalize_header(h) for h in ignore}
    if layout == "wide":
        claimed = {index for key, index in positions.items() if key not in NOT_INDICATORS_WIDE}
        for index, name in enumerate(normalized):
            if (
                name
                and index not in claimed
                and name not in skip
                and HEADER_INDEX.get(name, ("",))[0] not in KEYS
            ):
                indicator, unit = split_unit(str(headers[index]))
                plan.indicators.append((index, indicator, unit))
        for key in NOT_INDICATORS_WIDE:
            positions.pop(key, None)
    required = (["time"] if need_time else []) + (["indicator", "value"] if layout == "long" else [])
    absent = [key for key in required if key not in positions and key not in missing]
    if not any(k in positions for k in IDENTITY_KEYS) and not any(k in missing for k in IDENTITY_KEYS):
        absent.insert(0, "id_number")
    if layout == "wide" and not plan.indicators:
        absent.append("indicator")
    # The reasons name our columns by key only: the page shows a key by its name in the user's language.
    for key in absent:
        if key == "id_number":
            reason = because("No column for the patient identifier (ID number or MRN) in the header row.")
        elif key == "indicator" and layout == "wide":
            reason = because(
                "No column for the indicators in the header row: one column per indicator, "
                "its unit in brackets, e.g. Glucose(mmol/L)."
            )
        else:
            reason = because("No column for the %(column)s in the header row.", column=key)
        problems.append(Problem(f"row {header_row}", "header", "", reason, "missing_column"))
    fatal = (
        absent
        or any(k in missing for k in ("time", "indicator", "value"))
        or (not any(k in positions for k in IDENTITY_KEYS))
    )
    return (None if fatal else plan), problems


def find_header_row(rows: list[list[object]], mapping: dict[str, str] | None = None) -> int:
    """0-based index of the header among the first rows: the first with two or more known headers.

    Exports often carry a title row ("XX医院体检结果 2024-03") above the header. Falls back to the
    first non-empty row.
    """
    known = set(HEADER_INDEX) | {normalize_header(h) for h in (mapping or {}).values()}
    first_nonempty = None
    for i, row in enumerate(rows):
        names = [normalize_header(c) for c in row]
        if any(names) and first_nonempty is None:
            first_nonempty = i
        if sum(1 for n in names if n in known) >= 2:
            return i
    return first_nonempty or 0
