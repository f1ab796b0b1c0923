"""A searchable subset of ICD-10 for common chronic conditions (careloop/patients/data/icd10_chronic.csv).

Codes and titles follow WHO ICD-10 (2016) and its Chinese edition, GB/T 14396-2016 《疾病分类与代码》;
where WHO renamed a category (E10/E11 "Type 1/2 diabetes mellitus") the current title is used.
Pure: no Django import, so forms, views, importers and tests share it.
"""

import csv
import functools
from dataclasses import dataclass
from pathlib import Path

from careloop.patients.pinyin import initials

CATALOGUE = Path(__file__).resolve().parent.parent / "data" / "icd10_chronic.csv"

# pinyin.initials reads the first character as a surname (单 → shan); a neutral first character keeps the
# common reading of the rest (单纯 → dan chun). It is dropped again from the result.
_NEUTRAL = "之"


@dataclass(frozen=True)
class Entry:
    code: str
    name_zh: str
    name_en: str
    initials: str  # pinyin initials of name_zh, letters and digits only: 2型糖尿病 → "2xtnb"

    def name(self, language: str) -> str:
        return self.name_zh if language.lower().startswith("zh") else self.name_en


def normalize_code(text: str) -> str:
    """'e11.9 ' → 'E119': upper case, no dot or spaces, for comparing codes however they were typed."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def name_initials(name_zh: str) -> str:
    letters = initials(_NEUTRAL + name_zh)[1:]
    return "".join(ch for ch in letters if ch.isascii() and ch.isalnum())


@functools.cache
def entries(path: Path = CATALOGUE) -> tuple[Entry, ...]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return tuple(
        Entry(
            row["code"].strip(), row["name_zh"].strip(), row["name_en"].strip(), name_initials(row["name_zh"])
        )
        for row in rows
    )


@functools.cache
def _by_code(path: Path = CATALOGUE) -> dict[str, Entry]:
    return {normalize_code(entry.code): entry for entry in entries(path)}


def lookup(code: str, path: Path = CATALOGUE) -> Entry | None:
    """The catalogue entry for a code typed as 'I10', 'e11.9' or 'E119'; None when it is not in the subset."""
    return _by_code(path).get(normalize_code(code)) if code.strip() else None


def _rank(entry: Entry, query: str, code_query: str, lower: str) -> int | None:
    """0 exact code, 1 code prefix, 2 a name starts with the query, 3 the query is in a name; None."""
    code = normalize_code(entry.code)
    if code_query and code == code_query:
        return 0
    if code_query and code.startswith(code_query) and query[:1].isalpha():
        return 1
    if entry.name_zh.startswith(query) or (lower.isascii() and entry.initials.startswith(lower)):
        return 2
    if query in entry.name_zh or lower in entry.name_en.lower():
        return 3
    if lower.isascii() and lower.isalnum() and lower in entry.initials:
        return 3
    return None


# The diagnoses a primary-care team codes most, most common first: a search that matches one lists it
# first, and its subcodes before other matches of the same strength (高血压 → I10 before I11 to I13).
# I10 and E11 are the two conditions of the national chronic-disease management service (基本公共卫生服务
# 规范 第三版: 高血压 and 2型糖尿病患者健康管理服务规范; ../shared/reference/followup-norms.md §1, §2).
COMMON_CODES: tuple[str, ...] = ("I10", "E11")


def commonness(code: str) -> tuple[int, int]:
    """(place in COMMON_CODES, 0 for the code itself or 1 for a subcode); (len, 0) for any other code."""
    normal = normalize_code(code)
    for place, common in enumerate(COMMON_CODES):
        if normal == common:
            return (place, 0)
        if normal.startswith(common):
            return (place, 1)
    return (len(COMMON_CODES), 0)


def _order(entry: Entry, rank: int, position: int) -> tuple[int, int, int, int, int]:
    """An exact code first; then a common code itself, however it matched; then by match strength, the
    subcodes of common codes first within each strength; then catalogue order."""
    place, subcode = commonness(entry.code)
    itself = place if rank != 0 and place < len(COMMON_CODES) and not subcode else len(COMMON_CODES)
    family = place if subcode else len(COMMON_CODES)
    return (0 if rank == 0 else 1, itself, rank, family, position)


def search(query: str, limit: int = 20, path: Path = CATALOGUE) -> list[Entry]:
    """Entries matching a code prefix ('I1', 'e11.'), a Chinese name fragment ('高血压'), an English name
    fragment ('gout') or the pinyin initials of the Chinese name ('gxy' → 高血压), best matches first:
    the exact code, then the common codes (COMMON_CODES), then by how well the rest match."""
    query = query.strip()
    if not query:
        return []
    lower = query.lower()
    code_query = normalize_code(query) if query.isascii() else ""
    ranked = []
    for position, entry in enumerate(entries(path)):
        rank = _rank(entry, query, code_query, lower)
        if rank is not None:
            ranked.append((_order(entry, rank, position), entry))
    ranked.sort(key=lambda item: item[0])
    return [entry for _order_, entry in ranked[:limit]]


__all__ = [
    "CATALOGUE",
    "COMMON_CODES",
    "Entry",
    "commonness",
    "entries",
    "lookup",
    "name_initials",
    "normalize_code",
    "search",
]
