"""Exports that read and print well: Annex 1 as the notice's table on one A4 page; every
other export with a header row that stays in view and columns as wide as their content;
the absentees export with phones. Every check reads the real .xlsx back with openpyxl."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from capture_portal.xlsx import MAX_WIDTH, Sheet, text_width, write_workbook
from sessions.models import Capture, CaptureSession
from tests.factories import StudentFactory
from tests.sessions.test_notice_fixture import ANNEX_1
from units.models import TrainingUnit


@pytest.fixture
def office_client(client, office_user):
    client.force_login(office_user)
    return client


def _book(response):
    assert response.status_code == 200
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def _rows(print_titles):
    return (print_titles or "").replace("$", "")


def _width(ws, letter):
    return ws.column_dimensions[letter].width


# --- Annex 1 ------------------------------------------------------------------------------


@pytest.fixture
def annex(office_client, notice):
    session = CaptureSession.objects.get()
    return _book(office_client.get(reverse("staff:schedule_xlsx", args=[session.pk]))).active


def _header_row(ws):
    return next(r for r in range(1, 10) if ws.cell(r, 1).value == "培养单位名称")


def test_annex_1_has_the_notice_title_date_and_place(annex):
    assert annex.cell(1, 1).value == "附件 1"
    assert annex.cell(2, 1).value == "校内集中采集预估时间表"
    assert annex.cell(2, 1).font.b and annex.cell(2, 1).font.sz >= 14
    assert "A2:B2" in {str(m) for m in annex.merged_cells.ranges}  # the title spans the table
    subtitle = annex.cell(3, 1).value
    assert "2024年3月11日" in subtitle and "13:20–16:00" in subtitle
    assert "第一教学楼一楼" in subtitle and "以实际时间为准" in subtitle
    header = _header_row(annex)
    assert header == 4
    assert [annex.cell(header, c).value for c in (1, 2)] == ["培养单位名称", "预估时间"]


def test_annex_1_rows_and_merged_windows_are_the_notice(annex):
    header = _header_row(annex)
    body = range(header + 1, annex.max_row + 1)
    assert [annex.cell(r, 1).value for r in body] == [name for name, _w in ANNEX_1]
    merged = {str(m) for m in annex.merged_cells.ranges}
    first = header + 1
    spans = {f"B{first + i}:B{first + i + n - 1}" for i, n in ((0, 3), (3, 3), (6, 3), (9, 3))}
    spans.add(f"B{first + 12}:B{first + 13}")
    assert spans <= merged


def test_annex_1_table_has_borders_on_every_cell(annex):
    """Every cell of the table is boxed; inside a merged window cell there is no line, so
    only the sides on the edge of its merged range count."""
    header = _header_row(annex)
    ranges = [m for m in annex.merged_cells.ranges if m.min_row >= header]
    for r in range(header, annex.max_row + 1):
        for c in (1, 2):
            m = next((m for m in ranges if m.min_row <= r <= m.max_row and m.min_col == c), None)
            top, bottom = (m.min_row, m.max_row) if m else (r, r)
            border = annex.cell(r, c).border
            sides = [border.left, border.right]
            sides += [border.top] if r == top else []
            sides += [border.bottom] if r == bottom else []
            assert all(s.style == "thin" for s in sides), (r, c)
    assert annex.cell(1, 1).border.left.style is None  # the label above is not boxed


def test_annex_1_prints_on_one_a4_page_with_its_header_repeated(annex):
    header = _header_row(annex)
    setup = annex.page_setup
    assert int(setup.paperSize) == int(annex.PAPERSIZE_A4)
    assert setup.orientation == "portrait"
    assert annex.sheet_properties.pageSetUpPr.fitToPage is True
    assert (int(setup.fitToWidth), int(setup.fitToHeight)) == (1, 1)
    assert _rows(annex.print_title_rows) == f"{header}:{header}"
    assert annex.freeze_panes == f"A{header + 1}"
    assert annex.print_area.endswith(f"!$A$1:$B${annex.max_row}")
    assert annex.print_options.horizontalCentered
    # Wide enough for the longest unit name (CJK counted double).
    assert _width(annex, "A") >= text_width("管理科学与信息工程学院")


# --- the other exports ------------------------------------------------------------------


def test_roster_export_header_stays_in_view_and_columns_fit(office_client, notice):
    mis = TrainingUnit.objects.get(name="管理科学与信息工程学院")
    Capture.objects.create(
        student=StudentFactory(unit=mis, name="张三", major="管理科学与工程"),
        campaign=notice,
        attention_note="学籍异动：" + "很长的提醒" * 30,
    )
    ws = _book(office_client.get(reverse("staff:roster_xlsx"))).worksheets[0]
    assert ws.freeze_panes == "A2"
    assert _rows(ws.print_title_rows) == "1:1"
    assert ws.cell(1, 1).font.b
    assert _width(ws, "A") >= text_width("管理科学与信息工程学院")  # the longest unit name
    assert _width(ws, "J") == MAX_WIDTH  # a long note is capped, not 300 wide


def test_absentees_export_lists_phones(office_client, notice):
    law = TrainingUnit.objects.get(name="法学院")
    Capture.objects.create(
        student=StudentFactory(unit=law, name="缺席者", phone="13800001111"),
        campaign=notice,
        status=Capture.Status.ABSENT,
    )
    Capture.objects.create(
        student=StudentFactory(unit=law, name="分散者", phone="0311-87654321"),
        campaign=notice,
        status=Capture.Status.OFFSITE,
    )
    ws = _book(office_client.get(reverse("staff:absentees_xlsx"))).worksheets[0]
    headers = [c.value for c in ws[1]]
    assert headers[-1] == "手机"
    phones = {ws.cell(r, 3).value: ws.cell(r, len(headers)).value for r in range(2, 4)}
    assert phones == {"缺席者": "13800001111", "分散者": "0311-87654321"}
    assert ws.freeze_panes == "A2"
    assert _width(ws, ws.cell(1, len(headers)).column_letter) >= text_width("0311-87654321")


def test_coordinators_export_columns_fit_their_content(office_client, notice):
    ws = _book(office_client.get(reverse("staff:coordinators_xlsx"))).worksheets[0]
    assert ws.freeze_panes == "A2"
    assert _width(ws, "A") >= text_width("管理科学与信息工程学院")
    assert _width(ws, "B") <= text_width("序号") + 4  # a narrow column stays narrow


def test_reconciliation_export_header_stays_in_view(office_client, notice):
    ws = _book(office_client.get(reverse("payments:reconciliation_xlsx"))).worksheets[0]
    assert ws.freeze_panes == "A2" and _rows(ws.print_title_rows) == "1:1"
    assert _width(ws, "A") >= text_width("管理科学与信息工程学院")


def test_write_workbook_widths_count_cjk_double_and_respect_floors():
    rows = [["ab", "法学院", None, 12345], ["abcdef", "经济", "", 7.0]]
    sheet = Sheet("t", ["A", "单位", "空", "数"], iter(rows), widths=[0, 0, 12])
    ws = load_workbook(io.BytesIO(write_workbook([sheet]))).active
    assert _width(ws, "A") == max(text_width("abcdef") + 2, 6)
    assert _width(ws, "B") == text_width("法学院") + 2 == 8
    assert _width(ws, "C") == 12  # an empty column keeps its floor (room to write)
    assert _width(ws, "D") >= text_width("12345") + 2
    assert [ws.cell(r, 2).value for r in (2, 3)] == ["法学院", "经济"]  # the rows all written


def test_text_width():
    assert text_width("abc") == 3
    assert text_width("法学院") == 6
    assert text_width("（）") == 4
    assert text_width(None) == 0
    assert text_width(7.0) == 1


# --- what the annex needs to print whole (issue: clipped subtitle, cut title, sheet name) ---
#
# openpyxl cannot measure text; these checks use a deliberately simple estimate of their
# own (CJK counted double, one width unit per Latin character, 16/11 of that at 16 pt,
# 5 % more in bold) so that they do not merely repeat the code's arithmetic.

LINE_PT_11 = 14  # the least height one line of 11-point text takes


def _merged_width(ws, row):
    m = next(m for m in ws.merged_cells.ranges if m.min_row == row)
    return sum(_width(ws, _letter(c)) for c in range(m.min_col, m.max_col + 1))


def _letter(col):
    from openpyxl.utils import get_column_letter

    return get_column_letter(col)


def _lines(units, width):
    return max(1, -(-int(units) // int(width)))


@pytest.fixture
def annex_en(office_client, notice):
    session = CaptureSession.objects.get()
    url = reverse("staff:schedule_xlsx", args=[session.pk])
    return _book(office_client.get(url, HTTP_ACCEPT_LANGUAGE="en")).active


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_annex_1_subtitle_row_is_tall_enough_for_its_wrapped_lines(office_client, notice, lang):
    session = CaptureSession.objects.get()
    url = reverse("staff:schedule_xlsx", args=[session.pk])
    ws = _book(office_client.get(url, HTTP_ACCEPT_LANGUAGE=lang)).active
    header = _header_row_any(ws)
    sub = header - 1
    text = ws.cell(sub, 1).value
    assert "13:20" in text
    assert ws.cell(sub, 1).alignment.wrap_text
    lines = _lines(text_width(text), _merged_width(ws, sub))
    assert lines >= 2  # the notice's date and place do not fit on one line of the table
    assert ws.row_dimensions[sub].height >= lines * LINE_PT_11 + 2


def _header_row_any(ws):
    return next(r for r in range(1, 10) if ws.cell(r, 1).value in ("培养单位名称", "Training unit"))


def test_annex_1_title_is_not_cut_in_english(annex_en):
    """The 16-point title either fits on one line of the table or wraps into a row tall
    enough for its lines; before, a 51-character title overflowed a 36-unit table."""
    title = annex_en.cell(2, 1)
    assert title.value == "Schedule of the on-campus capture (estimated times)"
    need = text_width(title.value) * 16 / 11 * 1.05  # bold
    width = _merged_width(annex_en, 2)
    lines = _lines(need, width)
    if lines > 1:
        assert title.alignment.wrap_text
    assert annex_en.row_dimensions[2].height >= lines * 16 * 1.2


def test_annex_1_fits_the_page_width_it_prints_on(annex_en):
    total = sum(_width(annex_en, c) for c in "AB")
    assert total <= 95  # about what A4 portrait takes at 100 %


def test_annex_1_long_unit_names_wrap_in_tall_enough_rows(office_client, notice):
    mis = TrainingUnit.objects.get(name="管理科学与信息工程学院")
    # As long as the field allows (100): PostgreSQL refuses more, SQLite would not.
    mis.name_en = ("School of Management Science, Information Engineering and " * 2)[:100]
    mis.save()
    session = CaptureSession.objects.get()
    url = reverse("staff:schedule_xlsx", args=[session.pk])
    ws = _book(office_client.get(url, HTTP_ACCEPT_LANGUAGE="en")).active
    r = next(
        r
        for r in range(1, ws.max_row + 1)
        if str(ws.cell(r, 1).value).startswith("School of Management")
    )
    cell = ws.cell(r, 1)
    lines = _lines(text_width(cell.value), _width(ws, "A"))
    assert lines >= 2
    assert cell.alignment.wrap_text
    assert ws.row_dimensions[r].height >= lines * LINE_PT_11 + 2


@pytest.mark.parametrize(
    ("lang", "name"), [("zh-hans", "附件 1 时间表"), ("en", "Annex 1 Schedule")]
)
def test_annex_1_sheet_name_is_a_short_whole_title(office_client, notice, lang, name):
    session = CaptureSession.objects.get()
    url = reverse("staff:schedule_xlsx", args=[session.pk])
    ws = _book(office_client.get(url, HTTP_ACCEPT_LANGUAGE=lang)).active
    assert ws.title == name


def test_sheet_title_cuts_at_a_word_and_drops_forbidden_characters():
    from capture_portal.xlsx import sheet_title

    assert sheet_title("Roster and status") == "Roster and status"
    cut = sheet_title("Schedule of the on-campus capture (estimated times)")
    assert len(cut) <= 31 and cut == "Schedule of the on-campus…"
    assert sheet_title("a/b:c[d]*?\\") == "a b c d"
    assert len(sheet_title("校内集中采集预估时间表" * 4)) == 31
    assert sheet_title("   ") == "Sheet"


def test_annex_1_fonts_are_named_so_print_does_not_switch_typeface(annex):
    """A Font() without a name makes LibreOffice print the header in a serif face."""
    header = _header_row(annex)
    for cell in (annex.cell(2, 1), annex.cell(header, 1), annex.cell(header + 1, 1)):
        assert cell.font.name == "Calibri"


# --- the other exports on paper --------------------------------------------------------


def _written(*sheets):
    return load_workbook(io.BytesIO(write_workbook(list(sheets))))


def test_a_sheet_a_little_wider_than_the_page_is_fitted_to_its_width():
    """The fee reconciliation (about 125 units) printed its last columns on a page of their
    own: a sheet up to ~1.4 pages wide is scaled to one page wide, as many pages tall as
    it needs."""
    sheet = Sheet("t", [f"h{i}" for i in range(10)], [["x" * 11] * 10], widths=[13] * 10)
    ws = _written(sheet).active
    assert ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert (int(ws.page_setup.fitToWidth), int(ws.page_setup.fitToHeight)) == (1, 0)


def test_a_very_wide_sheet_is_not_shrunk_but_repeats_its_key_columns():
    sheet = Sheet(
        "t", [f"h{i}" for i in range(14)], [["x"] * 14], widths=[20] * 14, print_title_cols="A:C"
    )
    ws = _written(sheet).active
    assert not ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_cols.replace("$", "") == "A:C"


def test_roster_and_absentees_repeat_unit_number_and_name_on_every_page(office_client, notice):
    for name in ("staff:roster_xlsx", "staff:absentees_xlsx"):
        ws = _book(office_client.get(reverse(name))).worksheets[0]
        assert (ws.print_title_cols or "").replace("$", "") == "A:C"


def test_a_long_note_wraps_instead_of_being_cut_at_the_column_edge():
    long = "学籍异动：" + "很长的提醒" * 30
    sheet = Sheet("t", ["学号", "提醒事项"], [["1", "短"], ["2", long]])
    ws = _written(sheet).active
    assert ws.cell(3, 2).value == long
    assert ws.cell(3, 2).alignment.wrap_text
    assert not ws.cell(2, 2).alignment.wrap_text  # short cells stay as they were
    # LibreOffice does not grow a row for wrapped text: without a height the lines
    # overprint the rows below.
    lines = _lines(text_width(long), _width(ws, "B"))
    assert lines >= 3
    assert ws.row_dimensions[3].height >= lines * LINE_PT_11 + 2
    assert ws.row_dimensions[2].height is None
    assert ws.cell(3, 1).alignment.vertical == "top"  # the number beside the note's top


def test_annex_1_keeps_campus_and_place_apart_in_both_languages(client, office_user, notice):
    from django.utils import translation

    from sessions.models import CaptureSession

    session = CaptureSession.objects.get()
    CaptureSession.objects.filter(pk=session.pk).update(campus="东校区", campus_en="East Campus")
    client.force_login(office_user)
    url = reverse("staff:schedule_xlsx", args=[session.pk])
    for lang, expected in (
        ("zh-hans", "东校区 · 第一教学楼一楼"),
        ("en", "East Campus · Ground floor"),
    ):
        with translation.override(lang):
            response = client.get(url, HTTP_ACCEPT_LANGUAGE=lang)
        sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        texts = [c.value for row in sheet.iter_rows(max_row=4) for c in row if c.value]
        assert any(expected in str(t) for t in texts), (lang, texts)
