"""Writes the corpus of bad roster files in tests/data/bad_xlsx/ and its expectations.

    python tests/data/make_bad_xlsx.py

Each file is a real .xlsx (or what an office might upload under that name) that the
import must refuse: `expected.json` maps the file to the error code (a file-level
refusal) or to the row, column and message fragment of the row error.
"""

import datetime as dt
import io
import json
import struct
import zipfile
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent / "bad_xlsx"
HEADER = ["学号", "姓名", "培养单位", "层次", "专业", "证件号码", "手机"]
GOOD = [
    "202201010001",
    "张三",
    "法学院",
    "学术学位硕士",
    "民商法学",
    "130102199901051234",
    "13800000001",
]


def book(rows, header=HEADER, title=None, before=0):
    wb = Workbook()
    ws = wb.active
    for _ in range(before):
        ws.append(["说明文字"])
    if title:
        ws.append([title])
    if header:
        ws.append(header)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def row(**changes):
    values = dict(zip(HEADER, GOOD, strict=True))
    values.update(changes)
    return [values[h] for h in HEADER]


def zip_without_workbook():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
    return buf.getvalue()


# --- hostile archives (units/archive.py): each a few KB on disk ---------------------------

SHEET = "xl/worksheets/sheet1.xml"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def replace_member(data, name, content, level=9):
    """The workbook `data` with member `name` replaced by `content` (bytes)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        for info in src.infolist():
            z.writestr(info.filename, content if info.filename == name else src.read(info))
    return out.getvalue()


def sheet_xml(inner, head=""):
    return f'{head}<worksheet xmlns="{MAIN_NS}">{inner}</worksheet>'.encode()


def zip_bomb():
    """30 MB of white space in the sheet, compressed ~1,000× to ~30 KB."""
    sheet = sheet_xml("<sheetData>" + " " * (30 * 1024 * 1024) + "</sheetData>")
    return replace_member(book([GOOD]), SHEET, sheet)


def declared_size_lie():
    """A central directory that declares a 2 GB sheet (the real member is tiny)."""
    data = bytearray(book([GOOD]))
    at = data.index(b"PK\x01\x02" + b"\x00" * 0, data.rindex(b"PK\x05\x06") - 4096)
    while at != -1:
        name_len = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46 : at + 46 + name_len] == SHEET.encode():
            struct.pack_into("<I", data, at + 24, 0x7FFF_FFFF)  # uncompressed size
        at = data.find(b"PK\x01\x02", at + 4)
    return bytes(data)


def many_members():
    src = book([GOOD])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(src)) as z, zipfile.ZipFile(out, "a") as w:
        for info in z.infolist():
            w.writestr(info, z.read(info))
        for i in range(520):
            w.writestr(f"x/{i}", b"")
    return out.getvalue()


def huge_dimension():
    """1.6 KB: declares A1:XFD1048576 and fills its last cell (openpyxl pads every row)."""
    sheet = sheet_xml(
        '<dimension ref="A1:XFD1048576"/><sheetData><row r="1048576">'
        '<c r="XFD1048576"><v>1</v></c></row></sheetData>'
    )
    return replace_member(book([GOOD]), SHEET, sheet)


def far_row():
    """No declared range, one row numbered 1,048,576: a million empty rows before it."""
    sheet = sheet_xml('<sheetData><row r="1048576"><c r="A1048576"><v>1</v></c></row></sheetData>')
    return replace_member(book([GOOD]), SHEET, sheet)


def far_column():
    sheet = sheet_xml('<sheetData><row r="1"><c r="XFD1"><v>1</v></c></row></sheetData>')
    return replace_member(book([GOOD]), SHEET, sheet)


def billion_laughs():
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    )
    head = f'<?xml version="1.0"?><!DOCTYPE worksheet [{entities}]>'
    cell = '<c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c>'
    sheet = sheet_xml(f'<sheetData><row r="1">{cell}</row></sheetData>', head)
    return replace_member(book([GOOD]), SHEET, sheet)


def xxe():
    head = '<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    sheet = sheet_xml(
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row></sheetData>',
        head,
    )
    return replace_member(book([GOOD]), SHEET, sheet)


def deep_nesting():
    """100,000 nested elements: 12.6 s and 700 MB in openpyxl for a million of them."""
    n = 100_000
    return replace_member(
        book([GOOD]), SHEET, sheet_xml("<sheetData>" + "<a>" * n + "</a>" * n + "</sheetData>")
    )


def wide_row():
    """One row of 20,000 cells without references: openpyxl builds the whole row at once."""
    cells = '<c t="inlineStr"><is><t>x</t></is></c>' * 20_000
    return replace_member(
        book([GOOD]), SHEET, sheet_xml(f'<sheetData><row r="1">{cells}</row></sheetData>')
    )


def malformed_xml():
    good = zipfile.ZipFile(io.BytesIO(book([GOOD]))).read(SHEET)
    return replace_member(book([GOOD]), SHEET, good[: len(good) // 2])


def nul_name_csv():
    """The row with a NUL name comes after 8 KB, past the binary-file sniffing."""
    lines = [",".join(HEADER)]
    lines += [",".join(row(学号=f"2022010{i:05d}")) for i in range(1, 101)]
    lines.append(",".join(row(学号="202201099999", 姓名="\x00\x00\x00")))
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


FILE_ERRORS = {
    "empty.xlsx": (b"", "empty"),
    "truncated.xlsx": (book([GOOD])[:900], "corrupt"),
    "zip-without-workbook.xlsx": (zip_without_workbook(), "corrupt"),
    "picture-renamed.xlsx": (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 200,
        "unsupported_format",
    ),
    "pdf-renamed.xlsx": (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\x00\x00", "unsupported_format"),
    "old-excel.xlsx": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1000, "xls"),
    "random-bytes.xlsx": (bytes(range(256)) * 4, "unsupported_format"),
    "no-header.xlsx": (book([["1", "2", "3"]], header=["甲", "乙", "丙"]), "no_header"),
    "missing-unit-column.xlsx": (book([GOOD[:2]], header=["学号", "姓名"]), "missing_column"),
    "missing-name-column.xlsx": (
        book([["202201010001", "法学院"]], header=["学号", "培养单位"]),
        "missing_column",
    ),
    "header-too-low.xlsx": (book([GOOD], before=25), "no_header"),
    "header-only.xlsx": (book([]), "no_rows"),
    "blank-rows-only.xlsx": (book([[None] * 7, [None] * 7]), "no_rows"),
    "zip-bomb.xlsx": (zip_bomb(), "compression_ratio"),
    "declared-size-lie.xlsx": (declared_size_lie(), "uncompressed_too_large"),
    "many-members.xlsx": (many_members(), "too_many_members"),
    "huge-dimension.xlsx": (huge_dimension(), "sheet_too_large"),
    "far-row.xlsx": (far_row(), "sheet_too_large"),
    "far-column.xlsx": (far_column(), "sheet_too_large"),
    "billion-laughs.xlsx": (billion_laughs(), "unsafe_xml"),
    "xxe.xlsx": (xxe(), "unsafe_xml"),
    "deep-nesting.xlsx": (deep_nesting(), "xml_structure"),
    "wide-row.xlsx": (wide_row(), "xml_structure"),
    "malformed-xml.xlsx": (malformed_xml(), "corrupt"),
    "zip-header-then-garbage.xlsx": (b"PK\x03\x04" + bytes(range(256)) * 4, "corrupt"),
}

ROW_ERRORS = {
    "duplicate-number.xlsx": ([GOOD, GOOD], 3, "学号", "与第 2 行重复"),
    "unknown-unit.xlsx": ([row(培养单位="法学")], 2, "培养单位", "是否为“法学院”"),
    "unknown-unit-far.xlsx": ([row(培养单位="宇宙学院XYZ")], 2, "培养单位", "未知的培养单位"),
    "empty-name.xlsx": ([row(姓名="")], 2, "姓名", "不能为空"),
    "empty-number.xlsx": ([row(学号=None)], 2, "学号", "不能为空"),
    "empty-unit.xlsx": ([row(培养单位=" ")], 2, "培养单位", "不能为空"),
    "long-name.xlsx": ([row(姓名="名" * 65)], 2, "姓名", "超过 64 个字符"),
    "long-major.xlsx": ([row(专业="专" * 101)], 2, "专业", "超过 100 个字符"),
    "long-number.xlsx": ([row(学号="1" * 33)], 2, "学号", "超过 32 个字符"),
    "scientific-text.xlsx": ([row(学号="2.02201E+11")], 2, "学号", "科学计数法"),
    "rounded-number.xlsx": ([row(学号=2.0220101000100003e17)], 2, "学号", "末几位可能已丢失"),
    "fractional-number.xlsx": ([row(学号=2022.5)], 2, "学号", "末几位可能已丢失"),
    "id-as-number.xlsx": ([row(证件号码=130102199901011234)], 2, "证件号码", "末几位可能已丢失"),
    "id-too-short.xlsx": ([row(证件号码="12")], 2, "证件号码", "格式不正确"),
    "bad-phone.xlsx": ([row(手机="12345")], 2, "手机", "不是有效的手机号"),
    "phone-letters.xlsx": ([row(手机="138abc00000")], 2, "手机", "不是有效的手机号"),
    "bad-level.xlsx": ([row(层次="本科")], 2, "层次", "无法识别的层次"),
    "number-with-chinese.xlsx": ([row(学号="学号2022")], 2, "学号", "只能包含数字"),
    "number-with-space.xlsx": ([row(学号="2022 0101 0001")], 2, "学号", "只能包含数字"),
    "number-is-boolean.xlsx": ([row(学号=True)], 2, "学号", "不是有效的学号"),
    "number-is-date.xlsx": ([row(学号=dt.datetime(2022, 1, 1))], 2, "学号", "只能包含数字"),
    "formula-name.xlsx": ([row(姓名="=A1")], 2, "姓名", "是公式“=A1”"),
    "line-break-in-name.xlsx": ([row(姓名="张\n三")], 2, "姓名", "控制字符"),
    "tab-in-major.xlsx": ([row(专业="民商\t法学")], 2, "专业", "控制字符"),
    "delete-in-unit.xlsx": ([row(培养单位="法学\x7f院")], 2, "培养单位", "控制字符"),
}

# Written as they are (not through openpyxl): CSV uploads.
RAW_ROW_ERRORS = {
    "nul-name.csv": (nul_name_csv(), 102, "姓名", "控制字符"),
}


def main():
    HERE.mkdir(exist_ok=True)
    expected = {}
    for name, (data, code) in FILE_ERRORS.items():
        (HERE / name).write_bytes(data)
        expected[name] = {"code": code}
    for name, (rows, at, column, message) in ROW_ERRORS.items():
        (HERE / name).write_bytes(book(rows, title="2025届研究生名单" if "unit" in name else None))
        # The title row (when present) moves the header and the data one row down.
        expected[name] = {
            "row": at + (1 if "unit" in name else 0),
            "column": column,
            "message": message,
        }
    for name, (data, at, column, message) in RAW_ROW_ERRORS.items():
        (HERE / name).write_bytes(data)
        expected[name] = {"row": at, "column": column, "message": message}
    too_big = [p.name for p in HERE.iterdir() if p.stat().st_size > 100 * 1024]
    assert not too_big, too_big
    (HERE / "expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=1))
    print(f"{len(expected)} files in {HERE}")


if __name__ == "__main__":
    main()
