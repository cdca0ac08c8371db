"""Excel exports: formula-safe cells, Chinese headers, column widths, one sheet per purpose.

A cell that begins with = + - @ (or a tab or carriage return) would be read by Excel as a
formula; such text is prefixed with an apostrophe, the neutralisation OWASP recommends
against CSV/formula injection.
"""

import io
import itertools
import math
import re
from dataclasses import dataclass, field

from django.http import FileResponse
from django.utils.cache import add_never_cache_headers
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Named: a Font() without a name prints in LibreOffice's default face (a serif), not in the
# workbook's Calibri the other cells use.
FONT_NAME = "Calibri"
HEADER_FONT = Font(name=FONT_NAME, bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE7F0")
TITLE_SIZE = 16
TITLE_FONT = Font(name=FONT_NAME, bold=True, size=TITLE_SIZE)
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")


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
    # Columns printed at the left of every page ("A:C") when the sheet is too wide to be
    # shrunk onto one page width: each page then still says whose row it is.
    print_title_cols: str = ""


# Excel's rule for a sheet name: at most 31 characters, none of []:*?/\ .
SHEET_TITLE_MAX = 31
SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def sheet_title(text):
    """A valid sheet name for text: forbidden characters become spaces; a longer text is
    cut at the last word that fits, with an ellipsis ("Schedule of the on-campus…"), rather
    than mid-word at character 31. CJK text, without spaces, is cut at 31 characters."""
    text = " ".join(SHEET_TITLE_FORBIDDEN.sub(" ", str(text)).split())
    if not text:
        return "Sheet"
    if len(text) <= SHEET_TITLE_MAX:
        return text
    head = text[: SHEET_TITLE_MAX - 1]  # room for the ellipsis
    if text[SHEET_TITLE_MAX - 1] != " " and " " in head:
        word = head.rsplit(" ", 1)[0]
        if len(word) >= SHEET_TITLE_MAX // 2:  # not "附件 1…" for a long CJK title
            head = word
    return head.rstrip(" ,;:·-–(（") + "…"


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


# openpyxl cannot measure text: row heights follow from text_width and the merged width.
# Measured against Excel's Calibri 11 (a column unit is its digit width, 7 px): a CJK
# character (DengXian/SimSun, 11 pt = 14.7 px) takes about 1.05 of its 2 counted units, a
# Latin one about 0.8 of its 1, so the estimate errs towards a little white space rather
# than a clipped line. (LibreOffice without Calibri's metric twin Carlito draws columns
# wider still.)
WIDE_FACTOR = 1.05
BOLD_FACTOR = 1.05
LINE_HEIGHT = 1.4  # points of row height per point of font size, per line
ROW_PADDING = 4  # points
_WIDE = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"  # CJK, full-width forms
# A line may break before any CJK character, else only at spaces.
_TOKEN = re.compile(rf"[{_WIDE}]|[^\s{_WIDE}]+|\s+")
_IS_WIDE = re.compile(rf"[{_WIDE}]")


def shown_width(text, size=11, bold=False):
    """text_width scaled for the font size and weight, CJK a little wider than 2."""
    scale = size / 11 * (BOLD_FACTOR if bold else 1)
    wide = len(_IS_WIDE.findall(text))
    return (text_width(text) + wide * 2 * (WIDE_FACTOR - 1)) * scale


def wrapped_lines(text, width, size=11, bold=False):
    """How many lines text takes when wrapped in a cell `width` units wide: a greedy fill
    word by word (each CJK character may start a line), a word wider than the cell broken
    across lines, explicit newlines kept."""
    room = max(width, 1)
    lines = 0
    for paragraph in str(text or "").split("\n"):
        lines += 1
        used = 0.0
        for token in _TOKEN.findall(paragraph):
            w = shown_width(token, size, bold)
            if token.isspace():
                used += w
                continue
            if used and used + w > room:
                lines += 1
                used = 0.0
            while w > room:  # a word longer than the line
                lines += 1
                w -= room
            used += w
    return max(lines, 1)


def row_height(lines, size=11):
    return round(lines * size * LINE_HEIGHT + ROW_PADDING, 1)


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
    every printed page, and columns as wide as their content. On paper: A4, landscape when
    wider than portrait; a sheet up to FIT_WIDTH_LIMIT pages wide is shrunk to one page
    wide (as many pages tall as it needs), a wider one keeps its size and repeats its
    print_title_cols on every page. A text wider than its (capped) column wraps instead of
    being cut at the column's edge; the row then grows when the sheet is opened or printed
    (no height is written, so Excel and LibreOffice fit it)."""
    wb = Workbook(write_only=True)
    for spec in sheets:
        ws = wb.create_sheet(sheet_title(spec.title))
        rows = iter(spec.rows)
        sample = [list(r) for r in itertools.islice(rows, WIDTH_SAMPLE_ROWS)]
        widths = fitted_widths(spec.headers, sample, spec.widths)
        for i, width in enumerate(widths):
            ws.column_dimensions[_column(i)].width = width
        ws.freeze_panes = "A2"
        ws.print_title_rows = "1:1"
        _print_setup(ws, sum(widths), spec.print_title_cols)
        header = []
        for text in spec.headers:
            cell = WriteOnlyCell(ws, value=safe(str(text)))
            cell.font = HEADER_FONT
            cell.fill = HEADER_FILL
            header.append(cell)
        ws.append(header)
        # Text wider than this wraps (the cell's own padding aside).
        room = [w - 1 for w in widths]
        columns = len(room)
        for row_idx, row in enumerate(itertools.chain(sample, rows), start=2):
            wrap = [
                i
                for i, v in enumerate(row)
                if isinstance(v, str)
                and i < columns
                and 2 * len(v) > room[i]  # cheap: text_width is at most twice the length
                and text_width(v) > room[i]
            ]
            if wrap:
                # LibreOffice does not grow the row itself: the wrapped lines would
                # overprint the next rows. Set before append, which writes the row.
                lines = max(wrapped_lines(row[i], widths[i]) for i in wrap)
                ws.row_dimensions[row_idx].height = row_height(lines)
            if spec.number_formats or wrap:
                cells = []
                for i, value in enumerate(row):
                    cell = WriteOnlyCell(ws, value=safe(value))
                    fmt = _cell_format(spec, i, value)
                    if fmt:
                        cell.number_format = fmt
                    if wrap:  # the whole row at the top, beside its wrapped lines
                        cell.alignment = WRAP if i in wrap else TOP
                    cells.append(cell)
                ws.append(cells)
            else:
                ws.append([safe(v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _print_setup(ws, width, title_cols=""):
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    landscape = width > A4_PORTRAIT_WIDTH
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    page = A4_LANDSCAPE_WIDTH if landscape else A4_PORTRAIT_WIDTH
    if width <= page * FIT_WIDTH_LIMIT:
        # fitToPage only ever shrinks: a narrower sheet prints at 100 %.
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0  # as many pages tall as the rows need
    elif title_cols:
        ws.print_title_cols = title_cols


def _column(index):
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


# About how many width units fit across an A4 page in portrait (and, for the annex, the
# most a table may take before it is scaled down to one page by fitToPage anyway), and in
# landscape, with the default margins.
A4_PORTRAIT_WIDTH = 90
A4_LANDSCAPE_WIDTH = 130
# A sheet up to this many pages wide is shrunk to one page wide (to about 70 % at most,
# 11-point text printing at 8 points); a wider one would be too small to read.
FIT_WIDTH_LIMIT = 1.4
THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


def annex_workbook(title, headers, groups, *, label="", subtitle="", widths=None, sheet_name=""):
    """A two-column table whose second column spans each group (the notice's Annex 1),
    laid out to print as the notice's table on one A4 page.

    Rows: the annex label (附件 1), the title, the subtitle (date, place, 以实际时间为准),
    then the bordered table whose header repeats on every printed page and stays in view.
    groups: [(span text, [first-column texts])]. Normal mode: merged cells need it.

    Neither Excel nor LibreOffice fits the height of a merged cell to its text, so every
    row that may wrap (the title, the subtitle, a long unit name) gets the height its
    estimated lines need (wrapped_lines); the table is first widened, up to the page's
    width, so that the title fits on one line.
    """
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_title(sheet_name or title)
    if widths is None:
        items = [item for _span, names in groups for item in names]
        spans = [span for span, _names in groups]
        widths = fitted_widths(headers, itertools.zip_longest(items, spans))
        widths = [max(w, 16) for w in widths]  # the notice's table is not a narrow one
        widths = _widened(widths, _title_width(title))
    for i, width in enumerate(widths):
        ws.column_dimensions[_column(i)].width = width
    total = sum(widths)
    last_col = len(headers)
    row = 1
    if label:
        ws.cell(row=row, column=1, value=safe(label)).font = Font(name=FONT_NAME, size=11)
        row += 1
    cell = ws.cell(row=row, column=1, value=safe(title))
    cell.font = TITLE_FONT
    cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last_col)
    lines = wrapped_lines(title, total, size=TITLE_SIZE, bold=True)
    ws.row_dimensions[row].height = max(30, row_height(lines, TITLE_SIZE))
    row += 1
    if subtitle:
        cell = ws.cell(row=row, column=1, value=safe(subtitle))
        cell.font = Font(name=FONT_NAME, size=11)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last_col)
        ws.row_dimensions[row].height = max(22, row_height(wrapped_lines(subtitle, total)))
        row += 1
    header_row = row
    for i, text in enumerate(headers, start=1):
        cell = ws.cell(row=row, column=i, value=safe(str(text)))
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.border = BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.row_dimensions[row].height = row_height(
        max(wrapped_lines(h, w, bold=True) for h, w in zip(headers, widths, strict=False))
    )
    row += 1
    first_body = row
    heights = {}
    for span, items in groups:
        for i, item in enumerate(items):
            ws.cell(row=row + i, column=1, value=safe(item))
            heights[row + i] = wrapped_lines(item, widths[0])
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
            cell.font = Font(name=FONT_NAME, size=11)
            cell.alignment = Alignment(
                horizontal="left" if cell.column == 1 else "center",
                vertical="center",
                wrap_text=True,
            )
    for r in range(first_body, last_row + 1):
        ws.row_dimensions[r].height = max(20, row_height(heights.get(r, 1)))
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


def _title_width(title):
    """The width (in column units) the bold 16-point title takes on one line."""
    return math.ceil(shown_width(title, TITLE_SIZE, bold=True)) + 2


def _widened(widths, need):
    """widths with the first column (the units' names) grown until they add up to need,
    never past the page's width."""
    extra = min(need, A4_PORTRAIT_WIDTH) - sum(widths)
    return [widths[0] + extra, *widths[1:]] if extra > 0 else widths


def xlsx_response(data, filename):
    """The workbook as a download. Every export holds personal data (names, numbers,
    phones): no browser or proxy cache may keep a copy (Cache-Control: no-store)."""
    response = FileResponse(
        io.BytesIO(data), as_attachment=True, filename=filename, content_type=XLSX_TYPE
    )
    add_never_cache_headers(response)
    return response
