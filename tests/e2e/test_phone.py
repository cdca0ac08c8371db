"""The three staff tables on a 390 px phone: the page never scrolls sideways (the table
scrolls inside its own wrapper), the first column stays in view, no student number is
broken one digit per line, and the action column can be scrolled to."""

import os

import pytest
from django.utils import timezone

from capture_portal.actors import Actor
from sessions.models import Capture, Coordinator
from sessions.services.assignment import captures_assign_sessions
from tests.e2e.test_before_the_day import login
from tests.factories import MembershipFactory, StudentFactory, UserFactory
from units.models import TrainingUnit

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def law_roster(notice):
    law = TrainingUnit.objects.get(name="法学院")
    captures = [
        Capture.objects.create(
            student=StudentFactory(unit=law, name=f"欧阳学生{i}", student_no=f"20221100{i:04d}"),
            campaign=notice,
        )
        for i in range(12)
    ]
    captures_assign_sessions(actor=Actor.system(), campaign_id=notice.pk)
    return law, captures


def _page_fits(page):
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def _one_line(locator):
    """The element's text is on one line: the text's own box (not the cell's, which a
    neighbour's wrapped text may make taller) is about one line high."""
    return locator.evaluate(
        "el => { const r = document.createRange(); r.selectNodeContents(el);"
        " return r.getBoundingClientRect().height"
        " < 1.5 * parseFloat(getComputedStyle(el).lineHeight); }"
    )


def _in_viewport(locator):
    box = locator.bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


def _scroll_table_right(locator):
    locator.evaluate("el => { const w = el.closest('.table-wrap'); w.scrollLeft = w.scrollWidth; }")


def test_counsellor_roster_reads_on_a_phone(live_server, page, law_roster):
    law, captures = law_roster
    user = UserFactory(username="counsellor-law")
    MembershipFactory(user=user, unit=law)
    page.set_viewport_size(PHONE)
    login(page, live_server, user.username)
    page.goto(f"{live_server.url}/unit/{law.pk}/")
    assert _page_fits(page)
    row = page.locator(f"#c{captures[-1].pk}")
    number = row.locator("td").first.locator(".nowrap", has_text=captures[-1].student.student_no)
    assert number.is_visible() and _one_line(number) and _in_viewport(number)
    # The table scrolls inside its wrapper to the action column; the name column stays.
    assert _one_line(row.locator(".status"))
    _scroll_table_right(row)
    button = row.get_by_role("button", name="改为分散采集")
    assert _in_viewport(button) and _one_line(button)
    assert _in_viewport(row.locator("td").first)
    assert _page_fits(page)


def test_roster_rows_keep_their_borders_in_the_sticky_column(
    live_server, browser, law_roster, artifacts_dir
):
    # Chromium paints a collapsed border of a position:sticky cell only on some rows: two
    # students then looked like one box. Each cell draws its own border (separate borders,
    # no spacing), so every row of the first column is closed at the bottom.
    law, captures = law_roster
    user = UserFactory(username="counsellor-law")
    MembershipFactory(user=user, unit=law)
    # A phone's screen: three device pixels to the CSS pixel.
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=3, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    login(page, live_server, user.username)
    page.goto(f"{live_server.url}/unit/{law.pk}/")
    table = page.locator("table#roster")
    assert table.evaluate("el => getComputedStyle(el).borderCollapse") == "separate"
    assert table.evaluate("el => getComputedStyle(el).borderSpacing") in ("0px", "0px 0px")
    cells = page.locator("table#roster tbody td:first-child")
    assert cells.count() == len(captures)
    for i in range(cells.count()):
        style = cells.nth(i).evaluate(
            "el => { const s = getComputedStyle(el);"
            " return [s.position, s.borderBottomStyle, parseFloat(s.borderBottomWidth),"
            " s.borderRightStyle]; }"
        )
        assert style == ["sticky", "solid", 1, "solid"], (i, style)
    # Neighbouring cells share one line, not two.
    second = page.locator("table#roster tbody tr").first.locator("td").nth(1)
    assert second.evaluate("el => parseFloat(getComputedStyle(el).borderLeftWidth)") == 0
    _scroll_table_right(cells.first)
    page.locator("#roster").scroll_into_view_if_needed()
    page.screenshot(path=os.path.join(artifacts_dir, "roster-390.png"))
    context.close()


def test_schedule_builder_reads_on_a_phone(live_server, page, law_roster, office_user):
    page.set_viewport_size(PHONE)
    login(page, live_server, office_user.username)
    page.goto(f"{live_server.url}/staff/sessions/1/schedule/")
    assert _page_fits(page)
    first = page.locator("table.load tbody tr").first
    window = first.locator("td").first
    assert _in_viewport(window) and _one_line(window)
    assert "法学院" in page.locator("table.load").inner_text()
    _scroll_table_right(first)
    load = first.locator("td").last
    assert "%" in load.inner_text() and _in_viewport(load)
    assert _in_viewport(window)
    assert _page_fits(page)


def test_coordinators_overview_reads_on_a_phone(live_server, page, notice, office_user):
    law = TrainingUnit.objects.get(name="法学院")
    for position, name in ((1, "欧阳娜娜"), (2, "司马相如")):
        Coordinator.objects.create(
            campaign=notice,
            unit=law,
            position=position,
            name=name,
            phone=f"1381234567{position}",
            registered_at=timezone.now(),
        )
    page.set_viewport_size(PHONE)
    login(page, live_server, office_user.username)
    page.goto(f"{live_server.url}/staff/coordinators/")
    assert _page_fits(page)
    row = page.locator("table.coordinators tbody tr", has_text="法学院")
    unit = row.locator("td").first
    assert unit.inner_text().strip() == "法学院" and _in_viewport(unit)
    assert _one_line(row.locator("td.num")) and row.locator("td.num").inner_text() == "2/2"
    phone = row.get_by_text("13812345672")
    assert _one_line(phone)
    _scroll_table_right(row)
    edit = row.get_by_role("link", name="修改")
    assert _in_viewport(edit) and _one_line(edit)
    assert _in_viewport(unit)
    assert _page_fits(page)


# A phone number ("0311-87657669") or a time range ("13:20–16:00") split across two lines
# reads as two numbers.
UNBROKEN = r"\d{3,4}-\d{7,8}|\d{1,2}:\d{2}\s*[–-]\s*\d{1,2}:\d{2}"
BROKEN = """(pattern) => {
  const re = new RegExp(pattern, "g"), broken = [];
  const walker = document.createTreeWalker(document.querySelector("main"), NodeFilter.SHOW_TEXT);
  const pieces = [];  // a match may span text nodes ("13:20" "–" "16:00" from the template)
  let text = "";
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    pieces.push([n, text.length]);
    text += n.data;
  }
  const at = (i) => {
    let k = pieces.length - 1;
    while (pieces[k][1] > i) k--;
    return [pieces[k][0], i - pieces[k][1]];
  };
  for (const m of text.matchAll(re)) {
    const r = document.createRange();
    r.setStart(...at(m.index));
    r.setEnd(...at(m.index + m[0].length - 1));
    r.setEnd(r.endContainer, r.endOffset + 1);
    const tops = new Set(Array.from(r.getClientRects(), (b) => Math.round(b.top)));
    if (tops.size > 1) broken.push(m[0]);
  }
  return {broken, found: Array.from(text.matchAll(re), (m) => m[0]).length};
}"""


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_home_keeps_phone_numbers_and_time_ranges_whole(
    live_server, page, notice, language, artifacts_dir
):
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/")
    if language == "en":
        with page.expect_navigation():
            page.click("button[name=language][value=en]")
    assert page.locator("html").get_attribute("lang") == language
    result = page.evaluate(BROKEN, UNBROKEN)
    assert result["found"] >= 5  # the notice's times and its contact numbers
    assert result["broken"] == []
    assert _page_fits(page)
    page.screenshot(path=os.path.join(artifacts_dir, f"home-390-{language}.png"), full_page=True)
