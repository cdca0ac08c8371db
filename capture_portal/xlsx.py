"""Excel exports: formula-safe cells, Chinese headers, column widths, one sheet per purpose.

A cell that begins with = + - @ (or a tab or carriage return) would be read by Excel as a
formula; such text is prefixed with an apostrophe, the neutralisation OWASP recommends
against CSV/formula injection.
"""

import io
import itertools
from dataclasses import dataclass, field

from django.http import FileResponse
from django.utils.cache import add_never_cache_headers
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE7F0")
TITLE_FONT = Font(bold=True, size=16)


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
    # The least width of each column (room to write on a printed sheet, or for the rows
    # after WIDTH_SAMPLE_ROWS, which are not measured); a column grows to fit its content.
    widths: list = field(default_factory=list)
    # column index -> format, or a function of the value giving its format
    number_formats: dict = field(default_factory=dict)


# Column widths fit the header and the values of the first rows: buffering 5,000 rows
# keeps a 20,000-row export streaming (memory flat) while every smaller sheet is measured
# whole.
WIDTH_SAMPLE_ROWS = 5000
MIN_WIDTH = 6
MAX_WIDTH = 50
WIDTH_PADDING = 2


def text_width(value):
    """How many Latin characters wide a value shows in Excel: a CJK (or other full-width)
    character counts double. UTF-8 takes 3 bytes for those and 1 for ASCII, so
    (characters + bytes) / 2 gives 2 and 1 without a per-character loop."""
    if value is None:
        return 0
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    if "\n" in text:
        return max(text_width(line) for line in text.split("\n"))
    return (len(text) + len(text.encode("utf-8"))) // 2


def fitted_widths(headers, rows, floors=()):
    """Widths fitted to the longest value of each column (header included), capped at
    MAX_WIDTH, never below the column's floor."""
    widths = [text_width(h) + WIDTH_PADDING + 1 for h in headers]  # + 1: the header is bold
    for row in rows:
        for i, value in enumerate(row):
            w = text_width(value) + WIDTH_PADDING
            if i >= len(widths):
                widths.append(w)
            elif w > widths[i]:
                widths[i] = w
    widths = [min(max(w, MIN_WIDTH), MAX_WIDTH) for w in widths]
    return [max(w, floors[i]) if i < len(floors) else w for i, w in enumerate(widths)]


def _cell_format(spec, index, value):
    fmt = spec.number_formats.get(index)
    return fmt(value) if callable(fmt) else fmt


def write_workbook(sheets):
    """Write sheets into an .xlsx (openpyxl write-only mode: streams large sheets).

    Each sheet has a bold header row that stays in view (freeze_panes "A2") and repeats on
    every printed page, and columns as wide as their content."""
    wb = Workbook(write_only=True)
    for spec in sheets:
        ws = wb.create_sheet(spec.title[:31])
        rows = iter(spec.rows)
        sample = [list(r) for r in itertools.islice(rows, WIDTH_SAMPLE_ROWS)]
        widths = fitted_widths(spec.headers, sample, spec.widths)
        for i, width in enumerate(widths):
            ws.column_dimensions[_column(i)].width = width
        ws.freeze_panes = "A2"
        ws.print_title_rows = "1:1"
        ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
        ws.page_setup.orientation = "landscape" if sum(widths) > A4_PORTRAIT_WIDTH else "portrait"
        header = []
        for text in spec.headers:
            cell = WriteOnlyCell(ws, value=safe(str(text)))
            cell.font = HEADER_FONT
            cell.fill = HEADER_FILL
            header.append(cell)
        ws.append(header)
        for row in itertools.chain(sample, rows):
            if spec.number_formats:
                cells = []
                for i, value in enumerate(row):
                    cell = WriteOnlyCell(ws, value=safe(value))
                    fmt = _cell_format(spec, i, value)
                    if fmt:
                        cell.number_format = fmt
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


# About how many width units fit across an A4 page in portrait (and, for the annex, the
# most a table may take before it is scaled down to one page by fitToPage anyway).
A4_PORTRAIT_WIDTH = 90
THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


def annex_workbook(title, headers, groups, *, label="", subtitle="", widths=None):
    """A two-column table whose second column spans each group (the notice's Annex 1),
    laid out to print as the notice's table on one A4 page.

    Rows: the annex label (附件 1), the title, the subtitle (date, place, 以实际时间为准),
    then the bordered table whose header repeats on every printed page and stays in view.
    groups: [(span text, [first-column texts])]. Normal mode: merged cells need it.
    """
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    if widths is None:
        items = [item for _span, names in groups for item in names]
        spans = [span for span, _names in groups]
        widths = fitted_widths(headers, itertools.zip_longest(items, spans))
        widths = [max(w, 16) for w in widths]  # the notice's table is not a narrow one
    for i, width in enumerate(widths):
        ws.column_dimensions[_column(i)].width = width
    last_col = len(headers)
    row = 1
    if label:
        ws.cell(row=row, column=1, value=safe(label)).font = Font(size=11)
        row += 1
    ws.cell(row=row, column=1, value=safe(title))
    ws.cell(row=row, column=1).font = TITLE_FONT
    ws.cell(row=row, column=1).alignment = Alignment(horizontal="center", vertical="center")
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last_col)
    ws.row_dimensions[row].height = 30
    row += 1
    if subtitle:
        ws.cell(row=row, column=1, value=safe(subtitle)).alignment = Alignment(
            horizontal="center", vertical="center", wrap_text=True
        )
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last_col)
        ws.row_dimensions[row].height = 22
        row += 1
    header_row = row
    for i, text in enumerate(headers, start=1):
        cell = ws.cell(row=row, column=i, value=safe(str(text)))
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.border = BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center")
    row += 1
    first_body = row
    for span, items in groups:
        for i, item in enumerate(items):
            ws.cell(row=row + i, column=1, value=safe(item))
        ws.cell(row=row, column=2, value=safe(span))
        if len(items) > 1:
            last = row + len(items) - 1
            ws.merge_cells(start_row=row, start_column=2, end_row=last, end_column=2)
        row += max(len(items), 1)
    last_row = row - 1
    # Every cell of the table, merged ones included: Excel and LibreOffice draw a merged
    # range's border from its cells' own borders.
    for cells in ws.iter_rows(min_row=first_body, max_row=last_row, max_col=last_col):
        for cell in cells:
            cell.border = BORDER
            cell.alignment = Alignment(
                horizontal="left" if cell.column == 1 else "center", vertical="center"
            )
    for r in range(first_body, last_row + 1):
        ws.row_dimensions[r].height = 20
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1).coordinate
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.print_area = f"A1:{_column(last_col - 1)}{max(last_row, header_row)}"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.orientation = "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.6
    ws.page_margins.top = ws.page_margins.bottom = 0.8
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
