"""Excel exports: formula-safe cells, Chinese headers, column widths, one sheet per purpose.

A cell that begins with = + - @ (or a tab or carriage return) would be read by Excel as a
formula; such text is prefixed with an apostrophe, the neutralisation OWASP recommends
against CSV/formula injection.
"""

import io
from dataclasses import dataclass, field

from django.http import FileResponse
from django.utils.cache import add_never_cache_headers
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE7F0")


def safe(value):
    """The value as Excel must store it: text never starts a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


@dataclass
class Sheet:
    title: str
    headers: list
    rows: object  # any iterable of sequences; consumed once, streamed
    widths: list = field(default_factory=list)
    number_formats: dict = field(default_factory=dict)  # column index -> format


def write_workbook(sheets):
    """Write sheets into an .xlsx (openpyxl write-only mode: streams large sheets)."""
    wb = Workbook(write_only=True)
    for spec in sheets:
        ws = wb.create_sheet(spec.title[:31])
        for i, width in enumerate(spec.widths):
            ws.column_dimensions[_column(i)].width = width
        ws.freeze_panes = "A2"
        header = []
        for text in spec.headers:
            cell = WriteOnlyCell(ws, value=safe(str(text)))
            cell.font = HEADER_FONT
            cell.fill = HEADER_FILL
            header.append(cell)
        ws.append(header)
        for row in spec.rows:
            if spec.number_formats:
                cells = []
                for i, value in enumerate(row):
                    cell = WriteOnlyCell(ws, value=safe(value))
                    if i in spec.number_formats:
                        cell.number_format = spec.number_formats[i]
                    cells.append(cell)
                ws.append(cells)
            else:
                ws.append([safe(v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _column(index):
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def annex_workbook(title, headers, groups, widths=(28, 16)):
    """A two-column table whose second column spans each group (the notice's Annex 1).

    groups: [(span text, [first-column texts])]. Normal mode: merged cells need it.
    """
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    for i, width in enumerate(widths):
        ws.column_dimensions[_column(i)].width = width
    ws.append([safe(str(h)) for h in headers])
    for cell in ws[1]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
    row = 2
    for span, items in groups:
        for i, item in enumerate(items):
            ws.cell(row=row + i, column=1, value=safe(item))
        ws.cell(row=row, column=2, value=safe(span)).alignment = Alignment(
            horizontal="center", vertical="center"
        )
        if len(items) > 1:
            last = row + len(items) - 1
            ws.merge_cells(start_row=row, start_column=2, end_row=last, end_column=2)
        row += max(len(items), 1)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def xlsx_response(data, filename):
    """The workbook as a download. Every export holds personal data (names, numbers,
    phones): no browser or proxy cache may keep a copy (Cache-Control: no-store)."""
    response = FileResponse(
        io.BytesIO(data), as_attachment=True, filename=filename, content_type=XLSX_TYPE
    )
    add_never_cache_headers(response)
    return response
