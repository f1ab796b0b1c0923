"""A questionnaire's answers, every version, as CSV (one row per answer) or NDJSON (one FHIR
QuestionnaireResponse per line), written piece by piece so an export of any size takes constant memory.

Who answered is given by the patient's internal id and name only: never the ID number or the phone
number, which an export does not need to tell answers apart and which would travel with the file. An
anonymous answer (no patient) has both left empty. Pure: no Django import.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

ANSWERED_ITEM_TYPES = frozenset(
    {
        "boolean",
        "decimal",
        "integer",
        "date",
        "dateTime",
        "string",
        "text",
        "choice",
        "open-choice",
        "quantity",
    }
)
ROWS_PER_PIECE = 500
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class AnswerRow:
    answer_id: int
    answered_at: datetime
    version: int
    patient_id: int | None
    patient_name: str | None
    channel: str
    response: dict[str, Any]
    scores: dict[str, Any]


@dataclass(frozen=True)
class Columns:
    """The columns an export has: questions by linkId, then a total and a band per score code."""

    link_ids: tuple[str, ...]
    score_codes: tuple[str, ...]

    def header(self, fixed: Sequence[str], total: str, band: str, flags: str) -> list[str]:
        scored = [f"{code} {label}" for code in self.score_codes for label in (total, band)]
        return [*fixed, *self.link_ids, *scored, flags]


def columns_of(definitions: Sequence[dict[str, Any]]) -> Columns:
    """Newest definition first: its questions in its order, then those only older versions asked."""
    link_ids: list[str] = []
    codes: list[str] = []
    for definition in definitions:
        for link_id in _question_ids(definition.get("item", [])):
            if link_id not in link_ids:
                link_ids.append(link_id)
        for code in _score_codes(definition):
            if code not in codes:
                codes.append(code)
    return Columns(tuple(link_ids), tuple(codes))


def _question_ids(items: list[dict[str, Any]]) -> Iterator[str]:
    for item in items:
        if item.get("type") in ANSWERED_ITEM_TYPES:
            yield str(item.get("linkId"))
        yield from _question_ids(item.get("item", []))


def _score_codes(definition: dict[str, Any]) -> list[str]:
    for extension in definition.get("extension", []):
        if str(extension.get("url", "")).endswith("/scoring"):
            try:
                rules = json.loads(extension.get("valueString") or "{}")
            except ValueError:
                return []
            return [str(score.get("code")) for score in rules.get("scores", [])]
    return []


def answers_by_link_id(response: dict[str, Any]) -> dict[str, str]:
    """Each answered linkId of a stored QuestionnaireResponse -> its answers as text, "; " between them."""
    found: dict[str, str] = {}

    def visit(items: list[dict[str, Any]]) -> None:
        for item in items:
            values = [value_text(answer) for answer in item.get("answer", [])]
            if values:
                found[str(item.get("linkId"))] = "; ".join(values)
            visit(item.get("item", []))

    visit(response.get("item", []))
    return found


def value_text(answer: dict[str, Any]) -> str:
    for key, value in answer.items():
        if key == "valueCoding":
            return str(value.get("display") or value.get("code") or "")
        if key == "valueBoolean":
            return "true" if value else "false"
        if key == "valueQuantity":
            return f"{value.get('value')} {value.get('unit', '')}".strip()
        if key.startswith("value"):
            return str(value)
    return ""


def csv_row(row: AnswerRow, columns: Columns) -> list[str]:
    answers = answers_by_link_id(row.response)
    scores = {score.get("code"): score for score in row.scores.get("scores", [])}
    scored: list[str] = []
    for code in columns.score_codes:
        score = scores.get(code) or {}
        total = score.get("total")
        band = score.get("band") or {}
        scored += ["" if total is None else str(total), str(band.get("code") or "")]
    raised = [str(flag.get("code")) for flag in row.scores.get("flags", []) if flag.get("raised")]
    return [
        str(row.answer_id),
        row.answered_at.isoformat(),
        str(row.version),
        "" if row.patient_id is None else str(row.patient_id),
        row.patient_name or "",
        row.channel,
        *(answers.get(link_id, "") for link_id in columns.link_ids),
        *scored,
        "; ".join(raised),
    ]


def safe_cell(text: str) -> str:
    """Keeps a cell from running as a formula when the file is opened in Excel (CSV injection, OWASP);
    numbers, signed or not, stay numbers."""
    if text.startswith(_FORMULA_START):
        try:
            float(text)
        except ValueError:
            return "'" + text
    return text


def csv_pieces(header: Sequence[str], rows: Iterable[Sequence[str]]) -> Iterator[bytes]:
    """UTF-8 with a BOM (so Excel reads the Chinese), the header, then rows a few hundred at a time."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(cell) for cell in header])
    yield codecs.BOM_UTF8 + _drain(out)
    for written, row in enumerate(rows, 1):
        writer.writerow([safe_cell(cell) for cell in row])
        if written % ROWS_PER_PIECE == 0:
            yield _drain(out)
    rest = _drain(out)
    if rest:
        yield rest


def _drain(out: io.StringIO) -> bytes:
    text = out.getvalue()
    out.seek(0)
    out.truncate()
    return text.encode("utf-8")


def response_resource(row: AnswerRow) -> dict[str, Any]:
    """The stored QuestionnaireResponse with its id, and its subject only when a patient answered."""
    resource: dict[str, Any] = {"resourceType": "QuestionnaireResponse", "id": str(row.answer_id)}
    resource.update({key: value for key, value in row.response.items() if key not in ("resourceType", "id")})
    if row.patient_id is None:
        resource.pop("subject", None)
    else:
        resource["subject"] = {"reference": f"Patient/{row.patient_id}"}
    return resource


def ndjson_pieces(rows: Iterable[AnswerRow]) -> Iterator[bytes]:
    lines: list[str] = []
    for row in rows:
        lines.append(json.dumps(response_resource(row), ensure_ascii=False, separators=(",", ":")))
        if len(lines) == ROWS_PER_PIECE:
            yield ("\n".join(lines) + "\n").encode("utf-8")
            lines = []
    if lines:
        yield ("\n".join(lines) + "\n").encode("utf-8")
