"""Who owes the on-site fee, and ids from a form that do not fit a database integer.

The notice: the 20 yuan is handed to the Xinhua staff at the on-site capture; students who
go to a Xinhua centre instead (分散采集) pay 45 yuan there themselves, and nothing of that is
recorded on the unit's sheet. So off-site, exempt and absent students do not owe the
on-site fee: they count as neither paid nor unpaid and cannot newly be ticked. A payment
recorded before they left the on-site path still shows and can be reversed or refunded.
"""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from capture_portal.actors import Actor
from capture_portal.exceptions import DomainError
from payments import selectors, services
from payments.models import FeeEntry
from sessions import services as session_services
from sessions.models import Capture
from tests.factories import StudentFactory

S = Capture.Status
HUGE = "99999999999999999999999"  # beyond a 64-bit integer: SQLite raised OverflowError
NOT_DUE = (S.OFFSITE, S.SHEET_RECEIVED, S.VERIFIED, S.EXEMPT, S.ABSENT)


def _capture(campaign, unit, status=S.EXPECTED, name="学生"):
    return Capture.objects.create(
        student=StudentFactory(unit=unit, name=name), campaign=campaign, status=status
    )


def _pay(actor, capture, **kw):
    return services.fee_record(
        actor=actor,
        campaign_id=capture.campaign_id,
        student_id=capture.student_id,
        method=kw.pop("method", "cash"),
        **kw,
    )


@pytest.fixture
def link(counsellor, notice, unit):
    return session_services.coordinator_link_rotate(
        actor=counsellor, campaign_id=notice.pk, unit_id=unit.pk
    )


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- ids too large for the database ---------------------------------------------------------


@pytest.mark.parametrize("student_id", [10**23, 2**63, -1, 0, None, True])
def test_services_answer_not_found_for_an_id_that_is_no_student(office, notice, student_id):
    calls = [
        lambda: services.fee_record(
            actor=office, campaign_id=notice.pk, student_id=student_id, method="cash"
        ),
        lambda: services.fee_reverse(actor=office, campaign_id=notice.pk, student_id=student_id),
        lambda: services.fee_refund(
            actor=office,
            campaign_id=notice.pk,
            student_id=student_id,
            method="cash",
            reason="改为分散采集",
        ),
    ]
    for call in calls:
        with pytest.raises(DomainError) as err:
            call()
        assert err.value.code == "not_found"
    assert not FeeEntry.objects.exists()


@pytest.mark.parametrize("name", ["coordinator_pay", "coordinator_reverse"])
def test_link_post_with_a_huge_student_id_says_not_found(client, link, notice, unit, name):
    _capture(notice, unit)
    response = client.post(
        reverse(f"payments:{name}", args=[link]),
        {"student_id": HUGE, "method": "cash", "key": "k-huge"},
    )
    assert response.status_code == 302
    assert _messages(response) == ["找不到该学生。"]
    assert not FeeEntry.objects.exists()


@pytest.mark.parametrize("action", ["pay", "reverse", "refund"])
def test_unit_fee_post_with_a_huge_student_id_says_not_found(
    client, counsellor_user, notice, unit, action
):
    client.force_login(counsellor_user)
    response = client.post(
        reverse("payments:unit_fees", args=[unit.pk]),
        {"action": action, "student_id": HUGE, "method": "cash", "reason": "退"},
    )
    assert response.status_code == 302
    assert _messages(response) == ["找不到该学生。"]
    assert not FeeEntry.objects.exists()


def test_link_prints_post_with_a_huge_id_is_no_server_error(client, link, notice, unit):
    for data in ({"action": "untick", "untick": HUGE}, {"action": "tick", "capture_id": HUGE}):
        response = client.post(reverse("payments:coordinator_prints", args=[link]), data)
        assert response.status_code == 302


# --- who owes the on-site fee ------------------------------------------------------------------


@pytest.mark.parametrize("status", NOT_DUE)
def test_no_new_tick_for_a_student_who_owes_no_on_site_fee(office, notice, unit, status):
    c = _capture(notice, unit, status)
    for actor in (office, Actor.coordinator_link(unit.pk)):
        with pytest.raises(DomainError) as err:
            _pay(actor, c, idempotency_key=f"k-{actor.label}")
        assert err.value.code == "no_fee_due"
        assert err.value.message
    assert not FeeEntry.objects.exists()


def test_the_refusal_names_the_off_site_rule(office, notice, unit):
    c = _capture(notice, unit, S.OFFSITE)
    with pytest.raises(DomainError) as err:
        _pay(office, c)
    assert "分散采集" in err.value.message


@pytest.mark.parametrize("status", [S.EXPECTED, S.ARRIVED, S.PHOTOGRAPHED])
def test_students_on_the_on_site_path_can_be_ticked(office, notice, unit, status):
    assert _pay(office, _capture(notice, unit, status)).changed


def test_paid_then_sent_off_site_still_shows_and_can_be_reversed(office, notice, unit):
    c = _capture(notice, unit)
    _pay(office, c)
    session_services.capture_send_offsite(actor=office, capture_id=c.pk, note="实习")
    rows, totals = selectors.fee_sheet(unit, notice)
    assert rows[0].paid and not rows[0].due
    assert (totals["paid"], totals["unpaid"], totals["collected"]) == (1, 0, Decimal("20.00"))
    # A repeated tick of the paid student changes nothing and is no error.
    assert not _pay(office, c).changed
    services.fee_reverse(actor=office, campaign_id=notice.pk, student_id=c.student_id)
    assert services.balance(notice.pk, c.student_id) == 0
    with pytest.raises(DomainError) as err:
        _pay(office, c)
    assert err.value.code == "no_fee_due"


def test_paid_in_advance_then_absent_is_a_refund_owed(office, notice, unit):
    c = _capture(notice, unit)
    _pay(office, c)
    Capture.objects.filter(pk=c.pk).update(status=S.ABSENT)
    units, total = selectors.reconciliation(notice)
    assert total.refunds_owed == Decimal("20.00") and total.expected == 0
    services.fee_refund(
        actor=office, campaign_id=notice.pk, student_id=c.student_id, method="cash", reason="缺席"
    )
    assert services.balance(notice.pk, c.student_id) == 0


def test_back_on_the_on_site_path_owes_again(office, notice, unit):
    # A make-up session puts an absentee back to expected: the tick is offered again.
    c = _capture(notice, unit, S.ABSENT)
    Capture.objects.filter(pk=c.pk).update(status=S.EXPECTED)
    assert _pay(office, c).changed


def test_sheet_counts_only_students_who_owe_as_unpaid(notice, unit):
    for status in (S.EXPECTED, S.PHOTOGRAPHED, *NOT_DUE):
        _capture(notice, unit, status, name=f"生{status}")
    rows, totals = selectors.fee_sheet(unit, notice)
    assert totals["unpaid"] == 2 and totals["paid"] == 0
    assert {r.capture.status for r in rows if r.due} == {S.EXPECTED, S.PHOTOGRAPHED}


def test_sheet_offers_no_paid_button_to_an_off_site_student(client, link, notice, unit):
    owing = _capture(notice, unit, S.EXPECTED, "本校拍")
    away = _capture(notice, unit, S.OFFSITE, "外地拍")
    html = client.get(reverse("payments:coordinator", args=[link])).content.decode()
    row = {}
    for c in (owing, away):
        start = html.index(f'id="s{c.student_id}"')
        row[c] = html[start : html.index("</tr>", start)]
    assert "pay-form" in row[owing] and "pay-form" not in row[away]
    assert "分散采集" in row[away]
    assert '<span class="n" id="unpaid-count">1</span>' in html


def test_link_post_for_an_off_site_student_is_refused_with_the_reason(client, link, notice, unit):
    away = _capture(notice, unit, S.OFFSITE)
    response = client.post(
        reverse("payments:coordinator_pay", args=[link]),
        {"student_id": away.student_id, "method": "cash", "key": "k-away"},
    )
    assert response.status_code == 302
    [message] = _messages(response)
    assert "分散采集" in message
    assert not FeeEntry.objects.exists()
