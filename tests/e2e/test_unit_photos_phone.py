"""Delivered photos on a 390 px phone, in Chinese and in English: the office's student page
(session time, photo and its fault badges) and the counsellor's roster with thumbnails. No
element reaches past the screen's edge, except inside a wrapper that scrolls on its own
(the roster's table)."""

import os

import pytest
from django.core.management import call_command
from django.urls import reverse

from sessions.models import Campaign, Capture, CaptureSession
from tests.e2e.test_before_the_day import login
from tests.factories import MembershipFactory, StudentFactory, UserFactory
from tests.sessions.test_photo_handover import make_photo
from units.models import TrainingUnit

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}

# Elements whose box reaches past the viewport, skipping those inside an element that clips
# or scrolls its overflow itself (a table's .table-wrap).
OVERFLOWING = """() => {
  const vw = document.documentElement.clientWidth, found = [];
  const clipped = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== "visible") return true;
    }
    return false;
  };
  for (const el of document.body.querySelectorAll("*")) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || clipped(el)) continue;
    if (r.right > vw + 0.5 || r.left < -0.5) {
      const classes = typeof el.className === "string" ? el.className.trim().split(/\\s+/) : [];
      const name = [el.tagName.toLowerCase() + (el.id ? "#" + el.id : ""), ...classes];
      const text = el.textContent.trim().slice(0, 40);
      found.push(`${name.join(".")} ${Math.round(r.left)}..${Math.round(r.right)}: ${text}`);
    }
  }
  return found;
}"""


def _fits(page):
    found = page.evaluate(OVERFLOWING)
    assert found == [], "\n".join(found)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.fixture
def world():
    """法学院: 6 students photographed, with photos (one faulty with the longest label and
    warnings, one with warnings only), one photographed without a photo."""
    call_command("loaddata", "fixtures/notice.json", verbosity=0)
    campaign = Campaign.objects.get()
    session = CaptureSession.objects.get(campaign=campaign)
    law = TrainingUnit.objects.get(name="法学院")
    captures = [
        Capture.objects.create(
            student=StudentFactory(unit=law, name=f"欧阳学生{i}", student_no=f"20221100{i:04d}"),
            campaign=campaign,
            session=session,
            status=Capture.Status.PHOTOGRAPHED,
            shooting_no=f"{i:04d}",
            attention_note="学籍异动，请核对姓名",
        )
        for i in range(7)
    ]
    make_photo(captures[0], faults=["wrong_mode", "wrong_size"], warnings=["background", "dpi"])
    make_photo(captures[1], warnings=["too_small", "background"])
    for capture in captures[2:6]:
        make_photo(capture)
    counsellor = UserFactory(username="counsellor-law")
    MembershipFactory(user=counsellor, unit=law)
    return {"law": law, "captures": captures, "counsellor": counsellor}


def _open(page, live_server, username, language):
    page.set_viewport_size(PHONE)
    login(page, live_server, username)
    if language == "en":
        page.context.add_cookies(
            [{"name": "django_language", "value": "en", "url": live_server.url}]
        )


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_office_student_page_fits_a_phone(
    live_server, page, world, office_user, language, artifacts_dir
):
    _open(page, live_server, office_user.username, language)
    capture = world["captures"][0]
    page.goto(live_server.url + reverse("staff:capture_detail", args=[capture.pk]))
    assert page.locator("html").get_attribute("lang") == language
    photo = page.locator("#photo")
    assert photo.locator(".badge.bad").count() == 2
    assert photo.locator(".badge.warn").count() == 2
    _fits(page)
    page.screenshot(
        path=os.path.join(artifacts_dir, f"capture-detail-390-{language}.png"), full_page=True
    )


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_counsellor_roster_with_thumbnails_fits_a_phone(
    live_server, page, world, language, artifacts_dir
):
    _open(page, live_server, world["counsellor"].username, language)
    law, captures = world["law"], world["captures"]
    page.goto(live_server.url + reverse("unit:detail", args=[law.pk]))
    assert page.locator("html").get_attribute("lang") == language
    _fits(page)
    # The label, its separator and the names stay one item of the wrapping row of links (a
    # walkthrough saw ": names" begin a line of its own at 390 px).
    label = page.locator("p.actions > :first-child").inner_text()
    assert label.startswith("负责人：" if language == "zh-hans" else "Coordinator: ")
    assert page.locator("#photos-missing .n").inner_text() == "1"
    thumbs = page.locator("table#roster img")
    assert thumbs.count() == 6
    # Each thumbnail holds its place before it loads (lazy), so the table does not jump.
    for i in range(thumbs.count()):
        box = thumbs.nth(i).bounding_box()
        assert (round(box["width"]), round(box["height"])) == (48, 64)
    assert thumbs.first.get_attribute("loading") == "lazy"
    row = page.locator(f"#c{captures[0].pk}")
    first = row.locator("td").first
    thumb = first.locator("img")
    thumb.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle()
    )
    assert thumb.evaluate("img => img.naturalWidth") == 120
    assert first.locator(".badge.bad").count() == 2
    box = first.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    # The sticky first column leaves room to scroll the others.
    assert box["width"] <= PHONE["width"] / 2
    _fits(page)
    page.screenshot(path=os.path.join(artifacts_dir, f"unit-photos-390-{language}.png"))


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_status_of_each_recent_archive_is_in_view_on_a_phone(
    live_server, page, world, office_user, language, artifacts_dir
):
    # Found by a walkthrough: at 390 px the status column (imported, waiting, discarded) of
    # the recent archives was off-screen, behind a long file name.
    from capture_portal.actors import Actor
    from sessions.photos.intake import photo_intake_preview
    from tests import photofiles as pf

    intake = photo_intake_preview(
        actor=Actor.of(office_user),
        campaign_id=Campaign.objects.get().pk,
        file_name="2026届毕业生图像采集-法学院-第一批交付-更正版.zip",
        fileobj=pf.zip_file([("nobody.jpg", pf.jpeg())]),
    )
    _open(page, live_server, office_user.username, language)
    page.goto(live_server.url + reverse("staff:photo_intake"))
    badge = page.locator(f"#intake-{intake.pk} .badge")
    assert badge.inner_text() == ("待确认" if language == "zh-hans" else "Awaiting confirmation")
    box = badge.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    _fits(page)
    badge.scroll_into_view_if_needed()
    page.screenshot(path=os.path.join(artifacts_dir, f"photo-intake-390-{language}.png"))
