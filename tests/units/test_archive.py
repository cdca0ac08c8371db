"""Hostile .xlsx files are refused before openpyxl opens them (units/archive.py), openpyxl
parses XML through defusedxml, and a real roster passes every limit. The corpus in
tests/data/bad_xlsx checks each refusal's code and an unchanged database; time and memory
of a refusal are measured in bench/bad_files.py, not here."""

import io
import zipfile
from pathlib import Path

import openpyxl.xml
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from sessions.models import RosterImport
from tests.rosterfiles import HEADER
from tests.sessions.test_roster_import import GOOD as ROSTER_ROWS
from units import archive, importing
from units.models import Student

CORPUS = Path(__file__).resolve().parent.parent / "data" / "bad_xlsx"
GOOD = ROSTER_ROWS[0]  # one valid roster row


def test_openpyxl_parses_xml_through_defusedxml():
    from defusedxml.ElementTree import iterparse
    from openpyxl.xml import functions

    assert openpyxl.xml.DEFUSEDXML is True
    assert functions.iterparse is iterparse


def test_openpyxl_alone_refuses_entities(monkeypatch):
    """The second line of defence: with our own check switched off, defusedxml refuses."""
    from defusedxml import DefusedXmlException
    from openpyxl import load_workbook

    data = (CORPUS / "billion-laughs.xlsx").read_bytes()
    with pytest.raises(ValueError) as err:
        workbook = load_workbook(io.BytesIO(data), read_only=True)
        list(workbook.worksheets[0].iter_rows(values_only=True))
    assert isinstance(err.value, DefusedXmlException) or isinstance(
        err.value.__cause__, DefusedXmlException
    )
    monkeypatch.setattr(archive, "check_xlsx", lambda data: None)
    with pytest.raises(importing.ImportFileError) as err:
        list(importing.read_rows(data))
    assert err.value.code == "unsafe_xml"


def roster_20000():
    """A real 20,000-row × 8-column roster, as openpyxl writes it (no declared range)."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("名单")
    ws.append(["2025届研究生名单"])
    ws.append([*HEADER, "备注"])
    for i in range(20_000):
        ws.append([f"2022{i:08d}", "张三华", "法学院", "专业学位硕士", "民商法学",
                   f"13010219990101{i % 10000:04d}", f"138{i:08d}", ""])  # fmt: skip
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_a_real_20000_row_roster_passes_every_limit_with_margin():
    data = roster_20000()
    archive.check_xlsx(data)
    members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    total = sum(m.file_size for m in members)
    assert len(members) * 10 < archive.MAX_MEMBERS
    assert total * 5 < archive.MAX_TOTAL_BYTES
    assert max(m.file_size for m in members) * 3 < archive.MAX_MEMBER_BYTES
    assert max(m.file_size / m.compress_size for m in members) * 3 < archive.MAX_RATIO


def test_declared_sizes_refuse_without_decompressing(monkeypatch):
    def no_inflating(*args, **kwargs):
        raise AssertionError("a member was opened")

    monkeypatch.setattr(zipfile.ZipFile, "open", no_inflating)
    for name, code in [
        ("zip-bomb.xlsx", "compression_ratio"),
        ("declared-size-lie.xlsx", "uncompressed_too_large"),
        ("many-members.xlsx", "too_many_members"),
    ]:
        with pytest.raises(archive.ArchiveRefused) as err:
            archive.check_xlsx((CORPUS / name).read_bytes())
        assert err.value.code == code


@pytest.mark.parametrize(
    ("name", "code"),
    [("malformed-xml.xlsx", "corrupt"), ("deep-nesting.xlsx", "corrupt")],
)
def test_what_openpyxl_cannot_parse_is_refused_not_raised(monkeypatch, name, code):
    """Without the archive check, openpyxl's own errors still become a clean refusal."""
    monkeypatch.setattr(archive, "check_xlsx", lambda data: None)
    monkeypatch.setattr(archive, "MAX_COLUMNS", 3)
    data = (CORPUS / name).read_bytes()
    if name == "deep-nesting.xlsx":
        # openpyxl would take seconds on the real one: a broken, shallow sheet instead.
        data = _with_sheet(b"<worksheet><sheetData><row><c><v>1</v></row></sheetData>")
    with pytest.raises(importing.ImportFileError) as err:
        list(importing.read_rows(data))
    assert err.value.code == code


def _with_sheet(sheet):
    from tests.rosterfiles import xlsx

    src = zipfile.ZipFile(io.BytesIO(xlsx([GOOD])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            name = info.filename
            z.writestr(name, sheet if name == "xl/worksheets/sheet1.xml" else src.read(name))
    return out.getvalue()


def test_rows_and_columns_read_are_capped(monkeypatch):
    """Even past the archive check (a sheet without a declared range), reading stops."""
    from tests.rosterfiles import xlsx

    monkeypatch.setattr(archive, "check_xlsx", lambda data: None)
    monkeypatch.setattr(archive, "MAX_SHEET_ROWS", 5)
    with pytest.raises(importing.ImportFileError) as err:
        list(importing.read_rows(xlsx([GOOD] * 10)))
    assert err.value.code == "too_many_rows"
    monkeypatch.setattr(archive, "MAX_SHEET_ROWS", 50)
    monkeypatch.setattr(archive, "MAX_COLUMNS", 5)
    with pytest.raises(importing.ImportFileError) as err:
        list(importing.read_rows(xlsx([GOOD])))
    assert err.value.code == "too_many_columns"


@pytest.mark.parametrize("column", range(len(HEADER)))
@pytest.mark.parametrize("char", ["\x00", "\x07", "\t", "\n", "\x7f", "\x85"])
def test_control_characters_are_refused_in_every_field(notice, monkeypatch, column, char):
    # Cells as any reader (.xlsx or .csv) hands them over: the check is on the values.
    good = list(GOOD)
    good[column] = good[column][:1] + char + good[column][1:]
    monkeypatch.setattr(importing, "read_rows", lambda data: iter([HEADER, good]))
    parsed = importing.parse_roster(b"cells")
    assert parsed.rows == []
    assert [(e.row, e.column) for e in parsed.errors] == [(2, str(HEADER[column]))]
    assert "控制字符" in parsed.errors[0].message


def test_outer_white_space_is_trimmed_not_refused(notice):
    good = list(GOOD)
    good[1] = "张三\n"
    from tests.rosterfiles import xlsx

    parsed = importing.parse_roster(xlsx([good]))
    assert not parsed.errors and parsed.rows[0].name == "张三"


@pytest.fixture
def office_client(client, office_user):
    client.force_login(office_user)
    return client


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("malformed-xml.xlsx", "文件已损坏"),
        ("billion-laughs.xlsx", "不允许的 XML 内容"),
        ("zip-bomb.xlsx", "压缩比异常"),
        ("huge-dimension.xlsx", "A1:XFD1048576"),
    ],
)
def test_upload_of_a_hostile_file_answers_with_its_message(office_client, notice, name, message):
    data = (CORPUS / name).read_bytes()
    response = office_client.post(
        reverse("staff:roster_import"), {"file": SimpleUploadedFile(name, data)}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not RosterImport.objects.exists() and not Student.objects.exists()
