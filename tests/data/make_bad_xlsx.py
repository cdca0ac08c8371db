"""Writes the corpus of bad roster files in tests/data/bad_xlsx/ and its expectations.

    python tests/data/make_bad_xlsx.py

Each file is a real .xlsx (or what an office might upload under that name) that the
import must refuse: `expected.json` maps the file to the error code (a file-level
refusal) or to the row, column and message fragment of the row error.
"""

import datetime as dt
import io
import json
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
    "130102199901011234",
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
    "formula-name.xlsx": ([row(姓名="=A1")], 2, "姓名", "不能为空"),
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
    (HERE / "expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=1))
    print(f"{len(expected)} files in {HERE}")


if __name__ == "__main__":
    main()
