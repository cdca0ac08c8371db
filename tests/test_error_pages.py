"""Error pages (issue 12, point 7): 400, 403, 404, 410, 429 and 500 are pages of the site,
in Chinese and in English, with a way back, also with DEBUG off; a failed CSRF check too.
Public pages answer HEAD like GET."""

import re

import pytest
from django.core.cache import cache
from django.template.loader import get_template
from django.test import Client
from django.urls import reverse
from django.utils import translation

from sessions import services
from sessions.models import Campaign, Capture
from sessions.tokens import pass_token
from tests.factories import StudentFactory
from units.models import TrainingUnit

# The page's heading in each language: the page was translated, not only the layout.
HEADINGS = {
    400: ("请求无法处理", "Bad request"),
    403: ("没有权限", "Access denied"),
    404: ("页面不存在", "Page not found"),
    410: ("链接已失效", "This link no longer works"),
    429: ("请稍后再试", "Please try again later"),
    500: ("服务器出错", "Server error"),
}
LANGUAGES = {"zh-hans": 0, "en": 1}


@pytest.fixture(autouse=True)
def production(settings):
    settings.DEBUG = False


@pytest.fixture
def world(db):
    from django.core.management import call_command

    call_command("loaddata", "fixtures/notice.json", verbosity=0)
    campaign = Campaign.objects.get()
    unit = TrainingUnit.objects.order_by("display_order").first()
    capture = Capture.objects.create(student=StudentFactory(unit=unit), campaign=campaign)
    return {"campaign": campaign, "unit": unit, "capture": capture}


def _client(language, **kwargs):
    return Client(HTTP_ACCEPT_LANGUAGE=language, **kwargs)


def assert_site_page(response, status, language, heading=None):
    """The page is the site's: its stylesheet and header, the visitor's language, the
    heading translated, and a way back to the notice."""
    assert response.status_code == status
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert 'href="/static/css/site.css"' in html
    assert 'class="site-header' in html
    want = (heading or HEADINGS[status])[LANGUAGES[language]]
    assert f"<h1>{want}</h1>" in html, html
    way_back = re.search(r'<p class="actions" id="way-back">(.*?)</p>', html, re.S)
    assert way_back is not None, "no way back"
    assert '<a class="button" href="/">' in way_back.group(1)
    return html


@pytest.mark.parametrize("language", LANGUAGES)
def test_bad_request_is_the_site_page(db, language):
    response = _client(language).get("/", HTTP_HOST="not-our-host.example")
    assert_site_page(response, 400, language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_forbidden_is_the_site_page_with_a_login_link(db, counsellor_user, language):
    client = _client(language)
    client.force_login(counsellor_user)
    html = assert_site_page(client.get(reverse("staff:index")), 403, language)
    assert 'href="/login/?next=/staff/"' in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_unknown_address_is_the_site_page(db, language):
    assert_site_page(_client(language).get("/no-such-page/"), 404, language)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", ["student", "pass", "pass_calendar"])
def test_a_broken_student_link_is_the_site_404_pointing_to_the_lookup(world, language, name):
    token = pass_token(world["capture"].student_id, world["campaign"].pk)
    # Messaging apps cut long links: the tail of the signature is missing.
    response = _client(language).get(reverse(name, args=[token[:-6]]))
    html = assert_site_page(response, 404, language)
    assert 'href="/lookup/"' in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_revoked_coordinator_link_is_the_site_410(world, office, language):
    args = {"actor": office, "campaign_id": world["campaign"].pk, "unit_id": world["unit"].pk}
    old = services.coordinator_link_rotate(**args)
    services.coordinator_link_rotate(**args)
    response = _client(language).get(reverse("payments:coordinator", args=[old]))
    html = assert_site_page(response, 410, language)
    assert 'id="refused"' in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_too_many_lookups_is_the_site_429(world, language):
    cache.clear()
    client = _client(language)
    try:
        for _attempt in range(100):
            response = client.post(reverse("lookup"), {"student_no": "1", "name": "某"})
            if response.status_code == 429:
                break
    finally:
        cache.clear()
    assert_site_page(response, 429, language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_server_error_is_the_site_page(db, monkeypatch, language):
    def broken():
        raise RuntimeError("the database went away")

    monkeypatch.setattr("sessions.selectors.public_notice", broken)
    response = _client(language, raise_request_exception=False).get("/")
    assert_site_page(response, 500, language)


def test_the_500_page_renders_without_request_or_database():
    # Django's server_error renders it with no context and no request; the database may
    # be what failed (no db fixture here: a query would raise).
    with translation.override("en"):
        html = get_template("500.html").render()
    assert "<h1>Server error</h1>" in html and 'href="/static/css/site.css"' in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_failed_csrf_check_is_the_site_403(db, language):
    """Django's own CSRF failure view renders templates/403_csrf.html with the request, so
    the page's language switch knows where it is."""
    client = _client(language, enforce_csrf_checks=True)
    response = client.post(reverse("lookup"), {"student_no": "1", "name": "某"})
    html = assert_site_page(response, 403, language, heading=("页面已过期", "Page expired"))
    assert 'name="next" value="/lookup/"' in html


PUBLIC_PAGES = [
    ("home", None),
    ("lookup", None),
    ("guide", None),
    ("offsite", None),
    ("board", None),
    ("board_json", None),
    ("student", "student_token"),
    ("pass", "student_token"),
    ("pass_qr", "student_token"),
    ("pass_calendar", "student_token"),
    ("payments:coordinator", "link_token"),
]


@pytest.mark.parametrize(("name", "token"), PUBLIC_PAGES, ids=[p[0] for p in PUBLIC_PAGES])
def test_head_answers_like_get_on_public_pages(world, office, name, token):
    tokens = {
        "student_token": pass_token(world["capture"].student_id, world["campaign"].pk),
        "link_token": services.coordinator_link_rotate(
            actor=office, campaign_id=world["campaign"].pk, unit_id=world["unit"].pk
        ),
    }
    url = reverse(name, args=[tokens[token]] if token else [])
    client = Client()
    get = client.get(url)
    head = client.head(url)
    assert get.status_code == 200
    assert head.status_code == 200
    assert head["Content-Type"] == get["Content-Type"]
    assert head.content == b""
