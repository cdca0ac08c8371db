"""Every allowed and every forbidden transition of DESIGN.md §4, through the services."""

import datetime as dt

import pytest
from django.utils import timezone

from capture_portal.actors import Actor
from capture_portal.exceptions import DomainError
from sessions import services
from sessions.models import Campaign, Capture, CaptureLog
from tests.factories import CaptureFactory, StudentFactory

S = Capture.Status

ACTIONS = {
    "arrive": lambda actor, c: services.capture_arrive(actor=actor, capture_id=c.pk),
    "photograph": lambda actor, c: services.capture_photograph(actor=actor, capture_id=c.pk),
    "mark_absent": lambda actor, c: services.capture_mark_absent(actor=actor, capture_id=c.pk),
    "send_offsite": lambda actor, c: services.capture_send_offsite(actor=actor, capture_id=c.pk),
    "receive_sheet": lambda actor, c: services.capture_receive_sheet(actor=actor, capture_id=c.pk),
    "verify_sheet": lambda actor, c: services.capture_verify_sheet(actor=actor, capture_id=c.pk),
    "exempt": lambda actor, c: services.capture_exempt(actor=actor, capture_id=c.pk, reason="病假"),
    "undo": lambda actor, c: services.capture_undo(actor=actor, capture_id=c.pk, undoes=None),
}
DOOR = {"arrive", "photograph", "undo"}

# The whole table: (action, from) -> to. Anything not listed is forbidden, except a
# repeat onto the same status, which is an idempotent no-op.
ALLOWED = {
    ("arrive", S.EXPECTED): S.ARRIVED,
    ("photograph", S.EXPECTED): S.PHOTOGRAPHED,
    ("photograph", S.ARRIVED): S.PHOTOGRAPHED,
    ("mark_absent", S.EXPECTED): S.ABSENT,
    ("mark_absent", S.ARRIVED): S.ABSENT,
    ("send_offsite", S.EXPECTED): S.OFFSITE,
    ("send_offsite", S.ABSENT): S.OFFSITE,
    ("receive_sheet", S.OFFSITE): S.SHEET_RECEIVED,
    ("verify_sheet", S.SHEET_RECEIVED): S.VERIFIED,
    ("undo", S.ARRIVED): S.EXPECTED,
    ("undo", S.PHOTOGRAPHED): S.ARRIVED,
    **{("exempt", s): S.EXEMPT for s in S if s != S.EXEMPT},
}
TARGET = {
    "arrive": S.ARRIVED,
    "photograph": S.PHOTOGRAPHED,
    "mark_absent": S.ABSENT,
    "send_offsite": S.OFFSITE,
    "receive_sheet": S.SHEET_RECEIVED,
    "verify_sheet": S.VERIFIED,
    "exempt": S.EXEMPT,
    "undo": None,
}
CASES = [(action, status) for action in ACTIONS for status in S]


def _capture_in(status, campaign, unit):
    return CaptureFactory(campaign=campaign, student=StudentFactory(unit=unit), status=status)


@pytest.mark.django_db
@pytest.mark.parametrize(("action", "status"), CASES, ids=[f"{a}-from-{s}" for a, s in CASES])
def test_transition_table(action, status, office, station, campaign, unit):
    capture = _capture_in(status, campaign, unit)
    actor = station if action in DOOR else office
    expected = ALLOWED.get((action, status))
    if expected is not None:
        result = ACTIONS[action](actor, capture)
        assert result.changed
        capture.refresh_from_db()
        assert capture.status == expected
        log = CaptureLog.objects.get(capture=capture)
        assert (log.action, log.from_status, log.to_status) == (action, status, expected)
        assert (log.actor_user, log.actor_device) == (actor.user, actor.device)
    elif TARGET[action] == status:
        result = ACTIONS[action](actor, capture)
        assert not result.changed
        assert not CaptureLog.objects.exists()
    else:
        with pytest.raises(DomainError) as err:
            ACTIONS[action](actor, capture)
        assert err.value.code == "not_allowed"
        capture.refresh_from_db()
        assert capture.status == status
        assert not CaptureLog.objects.exists()


@pytest.mark.django_db
def test_photographing_twice_answers_with_the_first_scan_and_writes_nothing(station, capture):
    at = timezone.now() - dt.timedelta(minutes=3)
    first = services.capture_photograph(
        actor=station, capture_id=capture.pk, station="北门-1", occurred_at=at
    )
    again = services.capture_photograph(actor=station, capture_id=capture.pk, station="北门-2")
    assert first.changed and not again.changed
    assert again.capture.status_at == at
    assert again.capture.status_station == "北门-1"
    assert CaptureLog.objects.count() == 1


@pytest.mark.django_db
def test_repeated_idempotency_key_returns_first_result_and_writes_nothing(station, capture):
    first = services.capture_arrive(actor=station, capture_id=capture.pk, idempotency_key="k-1")
    # Meanwhile the student was photographed; the retried arrival must not undo that.
    services.capture_photograph(actor=station, capture_id=capture.pk)
    retry = services.capture_arrive(actor=station, capture_id=capture.pk, idempotency_key="k-1")
    assert retry.changed and retry.log.pk == first.log.pk
    assert CaptureLog.objects.count() == 2
    capture.refresh_from_db()
    assert capture.status == S.PHOTOGRAPHED


@pytest.mark.django_db
def test_undo_is_a_new_log_row_never_a_delete(station, capture):
    services.capture_arrive(actor=station, capture_id=capture.pk)
    services.capture_photograph(actor=station, capture_id=capture.pk)
    photographed = CaptureLog.objects.latest("id")
    services.capture_undo(
        actor=station, capture_id=capture.pk, undoes=photographed.pk, note="扫错了"
    )
    capture.refresh_from_db()
    assert capture.status == S.ARRIVED
    assert list(
        CaptureLog.objects.filter(capture=capture).order_by("id").values_list("action", "to_status")
    ) == [("arrive", S.ARRIVED), ("photograph", S.PHOTOGRAPHED), ("undo", S.ARRIVED)]


@pytest.mark.django_db
def test_original_scan_time_is_kept(station, capture):
    scanned = timezone.now() - dt.timedelta(minutes=20)
    result = services.capture_photograph(actor=station, capture_id=capture.pk, occurred_at=scanned)
    assert result.log.occurred_at == scanned
    assert result.log.recorded_at > scanned


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["arrive", "photograph", "undo"])
def test_door_scans_need_a_station_device(action, counsellor, office, capture):
    for person in (counsellor, office):
        with pytest.raises(DomainError) as err:
            ACTIONS[action](person, capture)
        assert err.value.code == "forbidden"
    assert not CaptureLog.objects.exists()


@pytest.mark.django_db
def test_a_device_acts_only_in_its_own_campaign(capture):
    from tests.conftest import device_actor
    from tests.factories import CampaignFactory

    elsewhere = device_actor(CampaignFactory())
    with pytest.raises(DomainError) as err:
        services.capture_photograph(actor=elsewhere, capture_id=capture.pk)
    assert err.value.code == "not_found"  # another campaign's student looks like nobody
    assert not CaptureLog.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["mark_absent", "exempt"])
def test_office_only_transitions_refuse_counsellors_and_stations(
    action, counsellor, station, capture
):
    for actor in (counsellor, station):
        with pytest.raises(DomainError) as err:
            ACTIONS[action](actor, capture)
        assert err.value.code == "forbidden"
    assert not CaptureLog.objects.exists()


@pytest.mark.django_db
def test_counsellor_acts_on_own_unit_only(counsellor, campaign, unit, other_unit):
    own = _capture_in(S.EXPECTED, campaign, unit)
    foreign = _capture_in(S.EXPECTED, campaign, other_unit)
    assert services.capture_send_offsite(actor=counsellor, capture_id=own.pk).changed
    with pytest.raises(DomainError) as err:
        services.capture_send_offsite(actor=counsellor, capture_id=foreign.pk)
    assert err.value.code == "forbidden"
    foreign.refresh_from_db()
    assert foreign.status == S.EXPECTED


@pytest.mark.django_db
def test_coordinator_link_cannot_change_status(capture):
    link = Actor.coordinator_link(capture.student.unit_id)
    with pytest.raises(DomainError) as err:
        services.capture_photograph(actor=link, capture_id=capture.pk)
    assert err.value.code == "forbidden"


@pytest.mark.django_db
def test_exempt_needs_a_reason(office, capture):
    with pytest.raises(DomainError) as err:
        services.capture_exempt(actor=office, capture_id=capture.pk, reason="  ")
    assert err.value.code == "reason_required"
    capture.refresh_from_db()
    assert capture.status == S.EXPECTED


@pytest.mark.django_db
def test_closed_campaign_refuses_changes(station, capture):
    Campaign.objects.filter(pk=capture.campaign_id).update(status=Campaign.Status.CLOSED)
    with pytest.raises(DomainError) as err:
        services.capture_photograph(actor=station, capture_id=capture.pk)
    assert err.value.code == "campaign_closed"
    assert not CaptureLog.objects.exists()


@pytest.mark.django_db
def test_unknown_capture_is_not_found(station):
    with pytest.raises(DomainError) as err:
        services.capture_photograph(actor=station, capture_id=999_999)
    assert err.value.code == "not_found"


@pytest.mark.django_db
def test_log_carries_no_personal_data(station, capture, caplog, django_capture_on_commit_callbacks):
    caplog.set_level("INFO")
    with django_capture_on_commit_callbacks(execute=True):
        services.capture_photograph(actor=station, capture_id=capture.pk)
    text = caplog.text
    assert text  # the transition was logged…
    assert capture.student.student_no not in text  # …without the student's number or name
    assert capture.student.name not in text


@pytest.mark.parametrize("note_action", ["attention", "chsi", "resolve_issue", "print_received"])
def test_a_note_on_the_capture_is_not_a_step_an_undo_must_come_after(station, capture, note_action):
    """After-the-day notes (an attention note, a CHSI state, a resolved issue, prints
    handed out) log a row without changing the status: undoing the last scan still works."""
    first = services.capture_photograph(actor=station, capture_id=capture.pk)
    CaptureLog.objects.create(
        capture=capture,
        action=note_action,
        from_status=S.PHOTOGRAPHED,
        to_status=S.PHOTOGRAPHED,
        occurred_at=timezone.now(),
    )
    undone = services.capture_undo(actor=station, capture_id=capture.pk, undoes=first.log.pk)
    assert undone.changed and undone.capture.status == S.ARRIVED


def test_a_correction_away_from_photographed_clears_the_shooting_number(station, office, capture):
    photo = services.capture_photograph(actor=station, capture_id=capture.pk)
    services.capture_set_shooting_no(
        actor=station, capture_id=capture.pk, shooting_no="0042", after_log=photo.log.pk
    )
    moved = services.capture_correct(
        actor=office, capture_id=capture.pk, to_status=S.EXPECTED, reason="拍错了人"
    )
    capture.refresh_from_db()
    assert moved.capture.shooting_no == "" and capture.shooting_no == ""


def test_leaving_off_site_capture_drops_its_reason(office, capture):
    services.capture_send_offsite(actor=office, capture_id=capture.pk, note="外地实习")
    capture.refresh_from_db()
    assert capture.offsite_reason == "外地实习"
    services.capture_receive_sheet(actor=office, capture_id=capture.pk)
    capture.refresh_from_db()
    assert capture.offsite_reason == "外地实习"  # still off-site: the sheet came in
    services.capture_correct(
        actor=office, capture_id=capture.pk, to_status=S.EXPECTED, reason="来了现场"
    )
    capture.refresh_from_db()
    assert capture.offsite_reason == ""


def test_a_new_photograph_starts_a_new_chsi_check(station, office, capture):
    from sessions.models import ChsiState

    services.capture_photograph(actor=station, capture_id=capture.pk)
    Capture.objects.filter(pk=capture.pk).update(
        chsi_state=ChsiState.DISPUTED, chsi_reason="照片偏暗", status=S.ABSENT
    )
    services.capture_correct(
        actor=office, capture_id=capture.pk, to_status=S.EXPECTED, reason="补拍"
    )
    capture.refresh_from_db()
    assert capture.chsi_state == ChsiState.DISPUTED  # the record stays until a new photo
    services.capture_photograph(actor=station, capture_id=capture.pk)
    capture.refresh_from_db()
    assert (capture.chsi_state, capture.chsi_reason, capture.chsi_at) == ("", "", None)
