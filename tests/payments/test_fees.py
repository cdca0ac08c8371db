"""Fees: the ledger, the coordinator link, handovers, reconciliation."""

import io
import threading
from decimal import Decimal

import pytest
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from capture_portal.actors import Actor
from capture_portal.exceptions import DomainError
from payments import selectors, services
from payments.models import FeeEntry, Handover
from sessions import services as session_services
from sessions.models import Campaign, Capture
from sessions.tokens import link_token
from tests.factories import StudentFactory
from units.models import TrainingUnit

S = Capture.Status


@pytest.fixture
def law(notice):
    return TrainingUnit.objects.get(name="法学院")


@pytest.fixture
def economics(notice):
    return TrainingUnit.objects.get(name="经济学院")


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


def test_payment_is_the_campaign_fee_in_decimal(office, notice, law):
    c = _capture(notice, law)
    result = _pay(office, c, method="wechat")
    assert result.changed and result.balance == Decimal("20.00")
    entry = FeeEntry.objects.get()
    assert (entry.kind, entry.amount, entry.method, entry.recorded_by) == (
        "payment",
        Decimal("20.00"),
        "wechat",
        office.user,
    )
    assert isinstance(entry.amount, Decimal)


def test_double_tick_writes_one_entry(office, notice, law):
    c = _capture(notice, law)
    _pay(office, c)
    again = _pay(office, c)
    assert not again.changed
    assert FeeEntry.objects.count() == 1


def test_replayed_key_returns_the_first_entry(notice, law):
    c = _capture(notice, law)
    link = Actor.coordinator_link(law.pk)
    first = _pay(link, c, idempotency_key="tick-1")
    services.fee_reverse(actor=link, campaign_id=notice.pk, student_id=c.student_id)
    replay = _pay(link, c, idempotency_key="tick-1")
    assert not replay.changed and replay.entry == first.entry
    assert FeeEntry.objects.count() == 2  # the payment and its reversal, nothing more


def test_reversal_and_refund(office, notice, law):
    c = _capture(notice, law)
    _pay(office, c)
    services.fee_reverse(
        actor=office, campaign_id=notice.pk, student_id=c.student_id, reason="勾错人了"
    )
    assert services.balance(notice.pk, c.student_id) == 0
    with pytest.raises(DomainError) as err:
        services.fee_reverse(actor=office, campaign_id=notice.pk, student_id=c.student_id)
    assert err.value.code == "not_paid"
    _pay(office, c)
    session_services.capture_send_offsite(actor=office, capture_id=c.pk, note="实习")
    with pytest.raises(DomainError) as err:
        services.fee_refund(
            actor=office, campaign_id=notice.pk, student_id=c.student_id, method="cash", reason=" "
        )
    assert err.value.code == "invalid"
    services.fee_refund(
        actor=office,
        campaign_id=notice.pk,
        student_id=c.student_id,
        method="cash",
        reason="改为分散采集",
    )
    assert list(FeeEntry.objects.order_by("id").values_list("kind", "amount")) == [
        ("payment", Decimal("20.00")),
        ("reversal", Decimal("-20.00")),
        ("payment", Decimal("20.00")),
        ("refund", Decimal("-20.00")),
    ]
    assert services.balance(notice.pk, c.student_id) == 0


def test_offsite_fee_never_enters_the_ledger(office, notice, law):
    c = _capture(notice, law)
    session_services.capture_send_offsite(actor=office, capture_id=c.pk, note="外地")
    assert not FeeEntry.objects.exists()
    units, total = selectors.reconciliation(notice)
    assert total.expected == 0 and total.collected == 0


def test_link_and_counsellor_scope(counsellor, notice, unit, other_unit):
    own = _capture(notice, unit)
    foreign = _capture(notice, other_unit)
    assert _pay(counsellor, own).changed
    for actor in (counsellor, Actor.coordinator_link(unit.pk)):
        with pytest.raises(DomainError) as err:
            _pay(actor, foreign)
        assert err.value.code == "not_found"
    assert FeeEntry.objects.count() == 1


def test_closed_campaign_takes_no_money(office, notice, law):
    c = _capture(notice, law)
    Campaign.objects.update(status=Campaign.Status.CLOSED)
    with pytest.raises(DomainError) as err:
        _pay(office, c)
    assert err.value.code == "campaign_closed"


def test_handover_rules(office, counsellor, notice, unit, other_unit):
    now = timezone.now()
    h = services.handover_record(
        actor=counsellor,
        campaign_id=notice.pk,
        unit_id=unit.pk,
        amount="40",
        method="wechat",
        received_by="新华社王老师",
        received_at=now,
        reference="WX123",
    )
    assert h.amount == Decimal("40.00") and h.recorded_by == counsellor.user
    for kwargs, code in [
        ({"amount": "0"}, "invalid"),
        ({"received_by": " "}, "invalid"),
        ({"unit_id": other_unit.pk}, "forbidden"),
    ]:
        args = {
            "actor": counsellor,
            "campaign_id": notice.pk,
            "unit_id": unit.pk,
            "amount": "20",
            "method": "cash",
            "received_by": "王",
            "received_at": now,
            **kwargs,
        }
        with pytest.raises(DomainError) as err:
            services.handover_record(**args)
        assert err.value.code == code
    with pytest.raises(DomainError):
        services.handover_record(
            actor=Actor.coordinator_link(unit.pk),
            campaign_id=notice.pk,
            unit_id=unit.pk,
            amount="20",
            method="cash",
            received_by="王",
            received_at=now,
        )
    assert Handover.objects.count() == 1


# --- reconciliation --------------------------------------------------------------------------


@pytest.fixture
def ledger(office, notice, law, economics):
    """法学院: A photographed+paid, B photographed+unpaid, C absent+paid; 20 handed over.
    经济学院: D, E photographed+paid; 40 handed over (balanced)."""
    a = _capture(notice, law, S.PHOTOGRAPHED, "甲")
    _capture(notice, law, S.PHOTOGRAPHED, "乙")
    c = _capture(notice, law, S.EXPECTED, "丙")
    d = _capture(notice, economics, S.PHOTOGRAPHED, "丁")
    e = _capture(notice, economics, S.PHOTOGRAPHED, "戊")
    for x in (a, c, d, e):
        _pay(office, x)
    # 丙 paid in advance, then missed the session (an absentee is not ticked anew).
    Capture.objects.filter(pk=c.pk).update(status=S.ABSENT)
    now = timezone.now()
    services.handover_record(
        actor=office,
        campaign_id=notice.pk,
        unit_id=law.pk,
        amount="20",
        method="cash",
        received_by="王",
        received_at=now,
    )
    services.handover_record(
        actor=office,
        campaign_id=notice.pk,
        unit_id=economics.pk,
        amount="40",
        method="wechat",
        received_by="王",
        received_at=now,
    )


def test_reconciliation_known_answer(notice, ledger):
    units, total = selectors.reconciliation(notice)
    by_name = {m.unit.name: m for m in units}
    law = by_name["法学院"]
    assert (law.photographed, law.paid, law.unpaid_photographed) == (2, 2, 1)
    assert (law.collected, law.expected, law.refunds_owed, law.handed_over) == (
        Decimal("40.00"),
        Decimal("40.00"),
        Decimal("20.00"),
        Decimal("20.00"),
    )
    assert law.collection_difference == Decimal("-20.00")  # 乙 has not paid
    assert law.handover_difference == Decimal("-20.00")  # Xinhua is owed 20 more
    assert law.flags == ["collection", "handover"]
    eco = by_name["经济学院"]
    assert (eco.collected, eco.expected, eco.handed_over, eco.flags) == (
        Decimal("40.00"),
        Decimal("40.00"),
        Decimal("40.00"),
        [],
    )
    assert (total.photographed, total.collected, total.expected, total.handed_over) == (
        4,
        Decimal("80.00"),
        Decimal("80.00"),
        Decimal("60.00"),
    )
    assert total.flags == ["collection", "handover"]


def test_reconciliation_page_and_export(client, office_user, notice, ledger):
    client.force_login(office_user)
    html = client.get(reverse("payments:reconciliation")).content.decode()
    assert 'data-unit="法学院"' in html and "<td>-20</td>" in html and "-20.00" not in html
    response = client.get(reverse("payments:reconciliation_xlsx"))
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = {ws.cell(r, 1).value: r for r in range(2, ws.max_row + 1)}
    law = rows["法学院"]
    assert ws.cell(law, 4).value == 40 and ws.cell(law, 8).value == -20
    assert ws.cell(law, 4).number_format == '#,##0" 元"'  # 40 元, not 40.00 元
    assert ws.cell(law, 10).value == "收取差额、交接差额"
    assert ws.cell(ws.max_row, 1).value == "合计"


@pytest.mark.parametrize("size", [10, 300])
def test_reconciliation_query_count_is_fixed(
    client, office_user, notice, law, size, django_assert_num_queries
):
    office = Actor.of(office_user)
    for i in range(size):
        c = _capture(notice, law, S.PHOTOGRAPHED)
        if i % 2:
            _pay(office, c)
    client.force_login(office_user)
    with django_assert_num_queries(RECONCILIATION_QUERIES):
        client.get(reverse("payments:reconciliation"))


# Signed-in pages read the session, the user and the user's groups (Django's own auth).
RECONCILIATION_QUERIES = 9


# --- the coordinator link ------------------------------------------------------------------------


@pytest.fixture
def link(counsellor, notice, unit):
    return session_services.coordinator_link_rotate(
        actor=counsellor, campaign_id=notice.pk, unit_id=unit.pk
    )


def test_link_page_shows_the_unit_and_who_is_missing(client, link, notice, unit, other_unit):
    _capture(notice, unit, S.EXPECTED, "本单位未拍")
    _capture(notice, unit, S.PHOTOGRAPHED, "本单位已拍")
    _capture(notice, other_unit, S.EXPECTED, "外单位")
    html = client.get(reverse("payments:coordinator", args=[link])).content.decode()
    assert "本单位未拍" in html and "本单位已拍" in html and "外单位" not in html
    assert "还有 1 人未拍摄" in html


def test_link_ticks_paid_once(client, link, notice, unit):
    c = _capture(notice, unit)
    url = reverse("payments:coordinator_pay", args=[link])
    data = {"student_id": c.student_id, "method": "alipay", "key": "k-1"}
    client.post(url, data)
    client.post(url, data)
    entry = FeeEntry.objects.get()
    assert entry.method == "alipay" and entry.recorded_by is None
    assert entry.recorded_by_label == f"coordinator-link:{unit.pk}"


def test_link_cannot_reach_another_unit(client, link, notice, other_unit):
    foreign = _capture(notice, other_unit)
    response = client.post(
        reverse("payments:coordinator_pay", args=[link]),
        {"student_id": foreign.student_id, "method": "cash"},
        follow=True,
    )
    assert "找不到该学生" in response.content.decode()
    assert not FeeEntry.objects.exists()
    other = link_token(other_unit.pk, notice.pk, "guessed-nonce")
    assert client.get(reverse("payments:coordinator", args=[other])).status_code == 404


def test_rotated_link_stops_working(client, counsellor, link, notice, unit):
    new = session_services.coordinator_link_rotate(
        actor=counsellor, campaign_id=notice.pk, unit_id=unit.pk
    )
    old = client.get(reverse("payments:coordinator", args=[link]))
    assert old.status_code == 410 and "已被更换" in old.content.decode()
    c = _capture(notice, unit)
    assert (
        client.post(
            reverse("payments:coordinator_pay", args=[link]),
            {"student_id": c.student_id, "method": "cash"},
        ).status_code
        == 410
    )
    assert not FeeEntry.objects.exists()
    assert client.get(reverse("payments:coordinator", args=[new])).status_code == 200


def test_expired_and_tampered_links(client, link, notice):
    tampered = link[:-2] + ("AA" if link[-2:] != "AA" else "BB")
    assert client.get(reverse("payments:coordinator", args=[tampered])).status_code == 404
    Campaign.objects.update(status=Campaign.Status.CLOSED)
    expired = client.get(reverse("payments:coordinator", args=[link]))
    assert expired.status_code == 410 and "已过期" in expired.content.decode()


def test_only_office_or_own_counsellor_rotates_links(counsellor, notice, other_unit):
    from tests.conftest import device_actor

    for actor in (counsellor, device_actor(notice), Actor.coordinator_link(other_unit.pk)):
        with pytest.raises(DomainError) as err:
            session_services.coordinator_link_rotate(
                actor=actor, campaign_id=notice.pk, unit_id=other_unit.pk
            )
        assert err.value.code == "forbidden"


def test_unit_fee_page_for_counsellor(client, counsellor_user, notice, unit, other_unit):
    c = _capture(notice, unit)
    client.force_login(counsellor_user)
    url = reverse("payments:unit_fees", args=[unit.pk])
    client.post(url, {"action": "pay", "student_id": c.student_id, "method": "bank"})
    assert FeeEntry.objects.get().recorded_by == counsellor_user
    response = client.post(
        url,
        {
            "action": "handover",
            "amount": "",
            "method": "cash",
            "received_by": "王",
            "received_at": "2024-03-11T15:00",
        },
    )
    assert response.status_code == 400 and 'value="王"' in response.content.decode()
    assert client.get(reverse("payments:unit_fees", args=[other_unit.pk])).status_code == 404


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_devices_ticking_the_same_student_make_one_entry():
    from tests.factories import CampaignFactory, CaptureFactory, TrainingUnitFactory

    unit = TrainingUnitFactory()
    captures = [
        CaptureFactory(campaign=CampaignFactory(), student=StudentFactory(unit=unit))
        for _ in range(1)
    ]
    campaign_id = captures[0].campaign_id
    captures += [
        CaptureFactory(campaign_id=campaign_id, student=StudentFactory(unit=unit))
        for _ in range(19)
    ]
    link = Actor.coordinator_link(unit.pk)
    barrier = threading.Barrier(2)
    errors = []

    def device(i):
        try:
            barrier.wait()
            for c in captures:
                services.fee_record(
                    actor=link,
                    campaign_id=campaign_id,
                    student_id=c.student_id,
                    method="cash",
                    idempotency_key=f"dev{i}-{c.pk}",
                )
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=device, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert FeeEntry.objects.count() == 20
    assert all(services.balance(campaign_id, c.student_id) == Decimal("20.00") for c in captures)


def test_fee_sheet_shows_how_each_student_paid(client, link, notice, unit):
    c = _capture(notice, unit)
    client.post(
        reverse("payments:coordinator_pay", args=[link]),
        {"student_id": c.student_id, "method": "alipay"},
    )
    html = client.get(reverse("payments:coordinator", args=[link])).content.decode()
    assert "20 元 · 支付宝" in html and "20.00" not in html


def test_refused_handover_keeps_what_was_typed(client, counsellor_user, notice, unit):
    Campaign.objects.update(status=Campaign.Status.CLOSED)
    client.force_login(counsellor_user)
    response = client.post(
        reverse("payments:unit_fees", args=[unit.pk]),
        {
            "action": "handover",
            "amount": "40",
            "method": "wechat",
            "received_by": "王老师",
            "received_at": "2024-03-11T15:00",
            "reference": "WX9",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "不能再记账" in html and 'value="王老师"' in html and 'value="WX9"' in html
    assert not Handover.objects.exists()
