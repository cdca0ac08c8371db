"""Delivered photos in a browser, on a phone-sized screen: the office uploads the
photographer's archive of 20 photos (2 faulty, 1 matching nobody), confirms it, finds the
faulty and the missing photo in the overview and the unit's list, downloads the unit's
hand-over .zip and finds every photo named by student number beside the manifest, and
sends a faulty one to a make-up session; the unit's counsellor opens a photo from the
roster."""

import datetime as dt
import io
import os
import zipfile

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from capture_portal.actors import Actor
from sessions import services
from sessions.models import Campaign, Capture, CaptureSession, Photo
from tests.factories import MembershipFactory, StudentFactory, UserFactory
from tests.photofiles import jpeg, zip_bytes
from units.models import TrainingUnit

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = {"width": 390, "height": 844}


def login(page, live_server, username):
    page.goto(live_server.url + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-for-tests")
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def fits(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.fixture
def world():
    """法学院 12 and 经济学院 8 students photographed on the day, each with a shooting
    number; the photographer's archive: 19 of them named by shooting number or student
    number (法学院's 0001 and 0002 faulty: wrong size, greyscale), 法学院's last student
    missing, and one file whose number matches nobody."""
    call_command("loaddata", "fixtures/notice.json", verbosity=0)
    campaign = Campaign.objects.get()
    session = CaptureSession.objects.get(campaign=campaign)
    law = TrainingUnit.objects.get(name="法学院")
    econ = TrainingUnit.objects.get(name="经济学院")
    captures = [
        Capture.objects.create(
            student=StudentFactory(student_no=f"2022010{i:05d}", unit=law if i <= 12 else econ),
            campaign=campaign,
            session=session,
            status=Capture.Status.PHOTOGRAPHED,
            shooting_no=f"{i:04d}",
        )
        for i in range(1, 21)
    ]
    members = []
    for i, capture in enumerate(captures, start=1):
        if i == 12:
            continue  # 法学院's last student: not in the delivery
        if i == 1:
            data = jpeg(size=(400, 600), seed=i)
        elif i == 2:
            data = jpeg(mode="L", seed=i)
        else:
            data = jpeg(seed=i)
        # Half by shooting number, half by student number, as deliveries mix them.
        name = capture.shooting_no if i % 2 else capture.student.student_no
        members.append((f"照片/{name}.jpg", data))
    members.append(("照片/9999.jpg", jpeg(seed=99)))
    assert len(members) == 20
    makeup = services.makeup_session_create(
        actor=Actor.system(),
        campaign_id=campaign.pk,
        date=session.date + dt.timedelta(days=14),
        start=dt.time(14, 0),
        end=dt.time(16, 0),
        place="图书馆报告厅",
        entry_door="东门",
        exit_door="西门",
        cameras=1,
    )
    return {
        "makeup": makeup,
        "law": law,
        "captures": captures,
        "archive": zip_bytes(members),
    }


def test_office_takes_in_an_archive_and_hands_a_units_photos_over(
    live_server, page, world, office_user, tmp_path, artifacts_dir
):
    page.set_viewport_size(PHONE)
    law, captures = world["law"], world["captures"]
    archive = tmp_path / "新华社交付照片.zip"
    archive.write_bytes(world["archive"])

    login(page, live_server, office_user.username)
    page.goto(live_server.url + "/staff/")
    page.locator("#photo-links").get_by_role("link").first.click()
    page.wait_for_load_state()
    page.get_by_role("link", name="接收电子照片（上传压缩包）").click()
    page.wait_for_load_state()
    page.set_input_files("input[type=file]", str(archive))
    page.get_by_role("button", name="上传并预览").click()
    page.wait_for_load_state()
    assert page.locator("#count-files").inner_text() == "20"
    assert page.locator("#count-faults").inner_text() == "2"
    assert page.locator("#count-problems").inner_text() == "1"
    assert page.locator("#count-missing").inner_text() == "1"
    assert "9999.jpg" in page.inner_text("#problems")
    assert fits(page)
    page.screenshot(path=os.path.join(artifacts_dir, "photos-intake-preview.png"), full_page=True)
    page.locator("#confirm-intake").get_by_role("button").click()
    page.wait_for_load_state()
    assert page.locator("#committed").count() == 1
    assert Photo.objects.count() == 19

    # The overview: 法学院 12 expected, 11 received, 2 faulty, 1 missing.
    page.goto(live_server.url + "/staff/photos/")
    row = page.locator(f"#unit-{law.pk}")
    assert row.locator("td.n").all_inner_texts() == ["12", "11", "2", "0", "1"]
    assert fits(page)
    page.screenshot(path=os.path.join(artifacts_dir, "photos-overview.png"), full_page=True)

    # The unit's list: the faulty photos with their thumbnails and faults in words.
    row.get_by_role("link", name="法学院").click()
    page.wait_for_load_state()
    faulty = [captures[0], captures[1]]
    for capture in faulty:
        card = page.locator(f"#c{capture.pk}")
        thumb = card.locator("img")
        thumb.scroll_into_view_if_needed()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle()
        )
        assert thumb.evaluate("img => img.naturalWidth") == 120
    assert "尺寸不是 480 × 640 像素" in page.inner_text(f"#c{captures[0].pk}")
    assert "颜色模式不是 24 位真彩色" in page.inner_text(f"#c{captures[1].pk}")
    assert "未收到" in page.inner_text(f"#c{captures[11].pk}")
    assert fits(page)
    page.screenshot(path=os.path.join(artifacts_dir, "photos-unit.png"), full_page=True)

    # The hand-over: 法学院's .zip, every photo named by student number, and the manifest.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载本单位照片（zip）").click()
    download = download_info.value
    assert download.suggested_filename.endswith("法学院.zip")
    path = tmp_path / "handover.zip"
    download.save_as(path)
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        names = set(zf.namelist())
        manifest = load_workbook(io.BytesIO(zf.read("manifest.xlsx")), read_only=True)
    delivered = [c.student.student_no for c in captures[:11]]
    assert names == {"manifest.xlsx", *(f"{no}.jpg" for no in delivered)}
    photos_sheet, missing_sheet = manifest.worksheets
    rows = list(photos_sheet.iter_rows(min_row=2, values_only=True))
    assert sorted(r[0] for r in rows) == sorted(delivered)
    assert sum(1 for r in rows if r[6]) == 2  # two rows name their faults
    missing = list(missing_sheet.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in missing] == [captures[11].student.student_no]

    # The greyscale photo is taken again: its student goes to the make-up session.
    card = page.locator(f"#c{captures[1].pk}")
    card.locator("select[name=session_id]").select_option(str(world["makeup"].pk))
    card.get_by_role("button", name="安排补拍").click()
    page.wait_for_load_state()
    assert "已安排补拍" in page.inner_text(".messages")
    assert page.locator(f"#c{captures[1].pk}").count() == 0
    captures[1].refresh_from_db()
    assert (captures[1].status, captures[1].session_id) == ("expected", world["makeup"].pk)


def test_the_counsellor_opens_a_photo_from_the_roster(live_server, page, world, tmp_path):
    from capture_portal.actors import Actor
    from sessions.photos.intake import photo_intake_commit, photo_intake_preview

    page.set_viewport_size(PHONE)
    law = world["law"]
    intake = photo_intake_preview(
        actor=Actor.system(),
        campaign_id=Campaign.objects.get().pk,
        file_name="photos.zip",
        fileobj=io.BytesIO(world["archive"]),
    )
    photo_intake_commit(actor=Actor.system(), intake_id=intake.pk)
    user = MembershipFactory(user=UserFactory(username="couns-photos"), unit=law).user
    login(page, live_server, user.username)
    page.goto(f"{live_server.url}/unit/{law.pk}/")
    third = world["captures"][2]
    link = page.locator(f"#c{third.pk}").get_by_role("link", name="照片")
    assert page.locator(f"#c{world['captures'][11].pk} .photo-link").count() == 0
    assert fits(page)
    response = page.request.get(live_server.url + link.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert "no-store" in response.headers["cache-control"]
    # Another unit's photo: 404, like a token that does not exist.
    econ_photo = Photo.objects.get(capture=world["captures"][-1])
    assert page.request.get(f"{live_server.url}/photos/{econ_photo.token}/").status == 404
