"""Roster files as offices make them, built in memory for the tests."""

import io

from openpyxl import Workbook

HEADER = ["学号", "姓名", "培养单位", "层次", "专业", "证件号码", "手机"]


def xlsx(rows, header=HEADER, title=None, numbers_as_float=False):
    wb = Workbook()
    ws = wb.active
    ws.title = "名单"
    if title:
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append(header)
    for row in rows:
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_bytes(rows, header=HEADER, encoding="utf-8-sig", delimiter=","):
    lines = [delimiter.join(str(c) for c in header)]
    lines += [delimiter.join("" if c is None else str(c) for c in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)
