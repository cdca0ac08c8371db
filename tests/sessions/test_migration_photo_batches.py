"""Migration 0014 carries a preview's per-file rows over into batches, in the archive's order,
and back again."""

import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.factories import CampaignFactory

BEFORE = [("capture_sessions", "0013_photo_intake_discarded")]
AFTER = [("capture_sessions", "0014_photo_intake_batches")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_rows_become_batches_in_the_archive_order_and_back(monkeypatch):
    migration = importlib.import_module("sessions.migrations.0014_photo_intake_batches")
    monkeypatch.setattr(migration, "BATCH", 2)
    campaign_id = CampaignFactory().pk  # made now: the migrations in between leave it alone
    apps = _migrate(BEFORE)
    Intake = apps.get_model("capture_sessions", "PhotoIntake")
    Row = apps.get_model("capture_sessions", "PhotoIntakeRow")
    intake = Intake.objects.create(campaign_id=campaign_id, file_name="a.zip", sha256="0" * 64)
    for index in (2, 0, 1):
        Row.objects.create(
            intake=intake,
            index=index,
            member=f"{index}.jpg",
            sha256=f"{index}" * 64,
            problem="unmatched" if index == 1 else "",
            action="new" if index != 1 else "",
            flagged=index == 2,
            details={"size": 100 + index, **({"warnings": ["dpi"]} if index == 2 else {})},
        )
    apps = _migrate(AFTER)
    Batch = apps.get_model("capture_sessions", "PhotoIntakeBatch")
    batches = list(Batch.objects.filter(intake_id=intake.pk).order_by("number"))
    assert [b.number for b in batches] == [0, 1]
    assert [row for b in batches for row in b.rows] == [
        {"index": 0, "member": "0.jpg", "size": 100, "sha256": "0" * 64, "action": "new"},
        {"index": 1, "member": "1.jpg", "size": 101, "sha256": "1" * 64, "problem": "unmatched"},
        {
            "index": 2,
            "member": "2.jpg",
            "size": 102,
            "warnings": ["dpi"],
            "sha256": "2" * 64,
            "action": "new",
        },
    ]
    apps = _migrate(BEFORE)
    Row = apps.get_model("capture_sessions", "PhotoIntakeRow")
    back = Row.objects.filter(intake_id=intake.pk).order_by("index")
    assert [(r.index, r.problem, r.action, r.flagged, r.details) for r in back] == [
        (0, "", "new", False, {"size": 100}),
        (1, "unmatched", "", False, {"size": 101}),
        (2, "", "new", True, {"size": 102, "warnings": ["dpi"]}),
    ]
    _migrate(AFTER)
