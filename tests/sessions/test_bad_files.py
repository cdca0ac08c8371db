"""The corpus of bad roster files (tests/data/bad_xlsx, made by make_bad_xlsx.py): each is
refused with its own message and leaves the database unchanged."""

import json
from pathlib import Path

import pytest
from django.core.management import call_command

from capture_portal.exceptions import DomainError
from sessions import services
from sessions.models import Campaign, RosterImport
from units.models import Student

CORPUS = Path(__file__).resolve().parent.parent / "data" / "bad_xlsx"
EXPECTED = json.loads((CORPUS / "expected.json").read_text())


def test_corpus_is_large_enough():
    assert len(EXPECTED) >= 30
    files = [p.name for p in CORPUS.iterdir() if p.suffix in (".xlsx", ".csv")]
    assert sorted(files) == sorted(EXPECTED)


def test_corpus_files_stay_small():
    assert max(p.stat().st_size for p in CORPUS.iterdir()) < 100 * 1024


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_is_refused_and_changes_nothing(db, office, name):
    call_command("loaddata", "fixtures/notice.json", verbosity=0)
    campaign = Campaign.objects.get()
    expect = EXPECTED[name]
    data = (CORPUS / name).read_bytes()
    if "code" in expect:
        with pytest.raises(DomainError) as err:
            services.roster_import_preview(
                actor=office, campaign_id=campaign.pk, file_name=name, data=data
            )
        assert err.value.code == expect["code"]
        assert err.value.message
    else:
        preview = services.roster_import_preview(
            actor=office, campaign_id=campaign.pk, file_name=name, data=data
        )
        assert preview.upload is None
        errors = [(e.row, e.column) for e in preview.parsed.errors]
        assert (expect["row"], expect["column"]) in errors, preview.parsed.errors
        message = next(
            e.message
            for e in preview.parsed.errors
            if (e.row, e.column) == (expect["row"], expect["column"])
        )
        assert expect["message"] in message
    assert not Student.objects.exists()
    assert not RosterImport.objects.exists()
