"""Station devices: paired by the office, revoked at once, authenticated by a header."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from capture_portal.actors import Actor
from capture_portal.exceptions import DomainError
from sessions import services
from sessions.devices import device_for_request
from sessions.models import Device, Station
from sessions.services.devices import digest

pytestmark = pytest.mark.django_db


@pytest.fixture
def north(notice):
    return Station.objects.get(name="北门-1")


@pytest.fixture
def office_client(client, office_user):
    client.force_login(office_user)
    return client


def _status(token):
    return Client(HTTP_AUTHORIZATION=f"Device {token}").get(reverse("station:status"))


def _token_from(html):
    return re.search(r'data-token="([^"]+)"', html).group(1)


def test_the_office_pairs_this_browser_in_one_click(office_client, office_user, north):
    response = office_client.post(
        reverse("staff:stations"), {"action": "pair_here", "station_id": north.pk}
    )
    assert response.status_code == 200
    token = _token_from(response.content.decode())
    device = Device.objects.get()
    assert device.token_hash == digest(token) and token not in str(device.__dict__)
    assert (device.station, device.created_by) == (north, office_user)
    assert device.paired_at is not None
    status = _status(token)
    assert status.status_code == 200
    assert status.json()["station"] == {
        "id": north.pk,
        "name": "北门-1",
        "kind": "photographed",
        "kind_display": north.get_kind_display(),
    }


def test_a_pairing_link_works_once(office_client, north, client):
    page = office_client.post(
        reverse("staff:stations"),
        {"action": "pairing_link", "station_id": north.pk, "name": "平板 2"},
    )
    html = page.content.decode()
    link = re.search(r'<code id="pairing-url">([^<]+)</code>', html).group(1)
    assert 'src="data:image/png;base64,' in html  # the QR code, made here, not fetched
    path, code = link.replace("http://testserver", "").split("#")
    assert path == reverse("station:pair")  # the code never reaches a server's access log
    anonymous = Client()
    assert anonymous.get(path).status_code == 200  # asking pairs nothing (link previews)
    assert Device.objects.get().paired_at is None
    paired = anonymous.post(path, {"code": code})
    assert paired.status_code == 200
    assert _status(_token_from(paired.content.decode())).status_code == 200
    again = Client().post(path, {"code": code})
    assert again.status_code == 410 and "已使用" in again.content.decode()


def test_an_expired_pairing_link_is_refused(north):
    _device, code = services.device_pairing_create(actor=Actor.system(), station_id=north.pk)
    Device.objects.update(pairing_expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(DomainError) as err:
        services.device_pair(code=code)
    assert err.value.code == "pairing_invalid"


def test_a_revoked_device_is_refused_at_its_next_request(office_client, north):
    device, token = services.device_create(actor=Actor.system(), station_id=north.pk)
    assert _status(token).status_code == 200
    office_client.post(reverse("staff:stations"), {"action": "revoke", "device_id": device.pk})
    refused = _status(token)
    assert refused.status_code == 401
    assert refused.json()["code"] == "device_unauthorized" and refused.json()["message"]
    scan = Client(HTTP_AUTHORIZATION=f"Device {token}").post(
        reverse("station:scan"), "{}", content_type="application/json"
    )
    assert scan.status_code == 401
    device.refresh_from_db()
    assert device.revoked_at is not None and device.revoked_by is not None


def test_a_device_of_a_switched_off_station_is_refused(north):
    _device, token = services.device_create(actor=Actor.system(), station_id=north.pk)
    Station.objects.filter(pk=north.pk).update(active=False)
    assert _status(token).status_code == 401


def test_only_the_office_manages_devices(counsellor, north):
    device, _token = services.device_create(actor=Actor.system(), station_id=north.pk)
    for call in (
        lambda: services.device_create(actor=counsellor, station_id=north.pk),
        lambda: services.device_pairing_create(actor=counsellor, station_id=north.pk),
        lambda: services.device_revoke(actor=counsellor, device_id=device.pk),
    ):
        with pytest.raises(DomainError) as err:
            call()
        assert err.value.code == "forbidden"


def test_reading_the_token_is_one_query(north, rf):
    _device, token = services.device_create(actor=Actor.system(), station_id=north.pk)
    request = rf.get("/", HTTP_AUTHORIZATION=f"Device {token}")
    with CaptureQueriesContext(connection) as queries:
        device = device_for_request(request)
        assert device.station.session.campaign.pk  # all came with the one read
    assert len(queries.captured_queries) == 1


def test_the_station_page_is_a_shell_without_data(client, north):
    html = client.get(reverse("station:app")).content.decode()
    assert 'id="station"' in html and "csrfmiddlewaretoken" not in html.split('id="station"')[1]
    sw = client.get(reverse("station:service_worker"))
    assert sw["Content-Type"].startswith("text/javascript")
    assert "/station/" in sw.content.decode()
