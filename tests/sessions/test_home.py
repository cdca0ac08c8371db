import re

from django.urls import reverse

from sessions.models import CaptureSession
from tests.sessions.test_notice_fixture import ANNEX_1


def _annex_rows(html):
    table = html.split('class="annex1"', 1)[1].split("</table>", 1)[0]
    rows = []
    window = None
    for tr in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)
        if not cells:
            continue
        if len(cells) == 2:
            window = cells[1].strip()
        rows.append((cells[0].strip(), window))
    return rows


def test_home_shows_the_notice_in_chinese(client, notice):
    html = client.get("/").content.decode()
    assert '<html lang="zh-hans">' in html
    for text in (
        "第一教学楼一楼",
        "南门入，北门出",
        "20元/人",
        "8张小二寸",
        "45元/人",
        "11832",
        "二办106",
        # Each number kept on one line (a span each), joined by the list separator.
        '0311-87657669</span>、<span class="nowrap">0311-87657299',
        "0311-85675761",
        "3月11日",
        "星期一",
    ):
        assert text in html, text
    assert _annex_rows(html) == ANNEX_1
    # Each window cell spans its units, as in the notice.
    assert html.count('rowspan="3"') == 4 and html.count('rowspan="2"') == 1


def test_home_switches_to_english(client, notice):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "Schedule of the on-campus capture" in html
    # Data shows its English twin when set (the fixture has one), else the Chinese.
    assert "School of Law" in html and "法学院" not in html


def test_unpublished_schedule_is_not_shown(client, notice):
    CaptureSession.objects.update(schedule_published=False)
    html = client.get("/").content.decode()
    assert 'class="annex1"' not in html
    assert "时间表尚未发布" in html


def test_home_without_campaign(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert "暂无采集通知" in response.content.decode()


def test_home_query_count_is_fixed(client, notice, django_assert_max_num_queries):
    # 5 = the notice's 4 + the campaign-wide announcements (sessions.announcements).
    with django_assert_max_num_queries(5):
        client.get("/")


def test_static_assets_are_local(client, notice):
    html = client.get("/").content.decode()
    for url in re.findall(r'(?:href|src)="([^"]+)"', html):
        assert not url.startswith(("http://", "https://", "//")) or "xinhua.cn" in url, url
