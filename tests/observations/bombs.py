"""Decompression and size bombs for the bounded-input tests and bench/import_bombs.py.

Each is made when it is needed, small on disk and streamed while it is written: none is committed.
Workbooks are written by hand (openpyxl writes no shared strings): the parts a reader needs, a sheet and
shared strings given as pieces of XML, compressed as they come, so a sheet of a gigabyte never exists
uncompressed.
"""

import io
import struct
import zipfile
from collections.abc import Iterable, Iterator

from careloop.observations.sources.tabular.template import template_headers

SHEET = "xl/worksheets/sheet1.xml"
SHARED_STRINGS = "xl/sharedStrings.xml"
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_PARTS = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPE}.sheet.main+xml"/>'
        f'<Override PartName="/{SHEET}" ContentType="{_TYPE}.worksheet+xml"/>'
        f'<Override PartName="/{SHARED_STRINGS}" ContentType="{_TYPE}.sharedStrings+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    ),
    "xl/workbook.xml": (
        f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
        '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
        "</Relationships>"
    ),
}
_SHEET_START = f'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet xmlns="{_MAIN}"><sheetData>'.encode()
_SHEET_END = b"</sheetData></worksheet>"


def workbook(sheet_xml: Iterable[bytes], shared_strings: Iterable[bytes] = (), *, level: int = 6) -> bytes:
    """An .xlsx of one sheet: its XML and its shared strings' XML, each given in pieces."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        for name, text in _PARTS.items():
            archive.writestr(name, text)
        for name, pieces in ((SHEET, sheet_xml), (SHARED_STRINGS, shared_strings or strings([]))):
            with archive.open(name, "w", force_zip64=False) as member:
                for piece in pieces:
                    member.write(piece)
    return out.getvalue()


def strings(texts: list[str]) -> Iterator[bytes]:
    """Shared strings XML holding `texts` (cell <v>n</v> of type "s" refers to texts[n])."""
    items = "".join(f"<si><t>{t.replace('&', '&amp;').replace('<', '&lt;')}</t></si>" for t in texts)
    yield f'<?xml version="1.0" encoding="UTF-8"?>\n<sst xmlns="{_MAIN}">{items}</sst>'.encode()


def _row(indexes: Iterable[int]) -> bytes:
    """A row without coordinates (a reader numbers rows and cells as they come): the same bytes every
    time, which is what lets deflate shrink a million rows to a few hundred kilobytes."""
    return b"<row>" + b"".join(b'<c t="s"><v>%d</v></c>' % i for i in indexes) + b"</row>"


def repeated_rows(count: int, cells: list[str]) -> tuple[Iterator[bytes], Iterator[bytes]]:
    """(sheet, shared strings): our template's header, then the same data row `count` times."""
    headers = template_headers()
    texts = headers + cells
    header = _row(range(len(headers)))
    data = _row(range(len(headers), len(texts)))

    def sheet() -> Iterator[bytes]:
        yield _SHEET_START + header
        block = data * 10_000
        for _ in range(count // 10_000):
            yield block
        yield data * (count % 10_000) + _SHEET_END

    return sheet(), strings(texts)


def glucose_cells(id_number: str, value: str = "abc") -> list[str]:
    """One glucose result in the template's columns (a value that is not a number is refused)."""
    return [id_number, "", "张三", "", "", "空腹血糖", value, "mmol/L", "2024-03-05 08:30"]


def styled_empty_rows(count: int, dimension: bool = True) -> Iterator[bytes]:
    """Sheet XML: the template's header, then `count` rows each of one empty cell with a style (use with
    `header_only_strings`): nothing to import, all to read.

    Without its <dimension> element, openpyxl reads the whole sheet once just to look for it (about
    7 us an element) before the first row is read: only the part's size limits that."""
    start = _SHEET_START
    if dimension:
        start = start.replace(b"<sheetData>", b'<dimension ref="A1:O%d"/><sheetData>' % (count + 1))
    yield start + _row(range(len(template_headers())))
    block = b'<row><c s="1"/></row>' * 10_000
    for _ in range(count // 10_000):
        yield block
    yield b'<row><c s="1"/></row>' * (count % 10_000) + _SHEET_END


def far_right_rows(count: int, column: str = "XFD") -> Iterator[bytes]:
    """Sheet XML: the template's header, then rows whose only cell is in Excel's last column."""
    yield _SHEET_START + _row(range(len(template_headers())))
    step = 10_000
    for start in range(2, count + 2, step):
        numbers = range(start, min(start + step, count + 2))
        yield b"".join(
            b'<row r="%d"><c r="%s%d"><v>1</v></c></row>' % (n, column.encode(), n) for n in numbers
        )
    yield _SHEET_END


def header_only_strings() -> Iterator[bytes]:
    return strings(template_headers())


def laughs(levels: int = 10) -> Iterator[bytes]:
    """A sheet whose DTD defines entities of entities (billion laughs): 10 levels are 10^10 "lol"s."""
    entities = [b'<!ENTITY lol0 "lol">']
    for level in range(1, levels):
        refs = b"".join(b"&lol%d;" % (level - 1) for _ in range(10))
        entities.append(b'<!ENTITY lol%d "%s">' % (level, refs))
    yield b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE worksheet [' + b"".join(entities) + b"]>"
    yield (
        b'<worksheet xmlns="%s"><sheetData><row><c t="inlineStr"><is><t>&lol%d;</t></is></c></row>'
        b"</sheetData></worksheet>" % (_MAIN.encode(), levels - 1)
    )


def one_long_string(megabytes: int) -> Iterator[bytes]:
    """Shared strings holding one string of `megabytes` MB: openpyxl keeps every shared string in memory."""
    yield f'<?xml version="1.0" encoding="UTF-8"?>\n<sst xmlns="{_MAIN}"><si><t>'.encode()
    chunk = b"a" * (1024 * 1024)
    for _ in range(megabytes):
        yield chunk
    yield b"</t></si></sst>"


def declaring(data: bytes, member: str, size: int) -> bytes:
    """The archive with `member`'s uncompressed size rewritten to `size` in both of its headers.

    A size larger than what the member inflates to reads back fine (the CRC is of the real bytes); one
    smaller makes the zip reader stop early and fail the CRC check.
    """
    patched = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        local = archive.getinfo(member).header_offset
    assert patched[local : local + 4] == b"PK\x03\x04"
    struct.pack_into("<I", patched, local + 22, size)
    name = member.encode()
    central = patched.find(b"PK\x01\x02")
    while central >= 0:
        name_length = struct.unpack_from("<H", patched, central + 28)[0]
        if patched[central + 46 : central + 46 + name_length] == name:
            struct.pack_into("<I", patched, central + 24, size)
            return bytes(patched)
        central = patched.find(b"PK\x01\x02", central + 4)
    raise AssertionError(f"{member} is not in the central directory")


def many_members(count: int) -> bytes:
    """A zip of `count` empty members (each central directory entry costs the reader memory)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for index in range(count):
            archive.writestr(f"m{index}", b"")
    return out.getvalue()
