"""Roster import: every bad file gets its own message and changes nothing."""

import io
import zipfile

import pytest
from django.core.management import call_command
from openpyxl import Workbook

from capture_portal.actors import Actor
from capture_portal.exceptions import DomainError
from sessions import services
from sessions.models import Campaign, Capture, RosterImport
from tests.rosterfiles import HEADER, csv_bytes, xlsx
from units.models import Student

GOOD = [
    [
        "202201010001",
        "张三",
        "法学院",
        "学术学位硕士",
        "民商法学",
        "130102199901051234",
        "13800000001",
    ],
    ["202201010002", "李四", "法学院", "专业学位硕士", "法律（非法学）", "13010219990106123X", ""],
    ["202202010001", "王五", "经济学院", "学术学位博士", "", "", "0311-87657669"],
]


def _snapshot():
    return (
        list(Student.objects.order_by("pk").values()),
        list(Capture.objects.order_by("pk").values()),
        RosterImport.objects.filter(status=RosterImport.Status.COMMITTED).count(),
    )


def _preview(office, campaign, data, name="roster.xlsx"):
    return services.roster_import_preview(
        actor=office, campaign_id=campaign.pk, file_name=name, data=data
    )


def _import(office, campaign, data, **kw):
    preview = _preview(office, campaign, data)
    assert preview.parsed.errors == [], preview.parsed.errors
    return services.roster_import_commit(actor=office, import_id=preview.upload.pk, **kw)


def test_clean_file_previews_then_commits(office, notice):
    preview = _preview(office, notice, xlsx(GOOD))
    assert Student.objects.count() == 0  # the preview writes no student
    assert preview.upload.summary["create"] == 3
    result = services.roster_import_commit(actor=office, import_id=preview.upload.pk)
    assert (result.created, result.updated, result.captures) == (3, 0, 3)
    zhang = Student.objects.get(student_no="202201010001")
    assert (zhang.name, zhang.unit.name, zhang.level, zhang.cohort) == (
        "张三",
        "法学院",
        Student.Level.ACADEMIC_MASTER,
        2025,
    )
    assert zhang.id_tail == "1234" and zhang.phone == "13800000001"
    assert Student.objects.get(student_no="202201010002").id_tail == "123X"
    assert Capture.objects.filter(campaign=notice, status="expected").count() == 3


def test_full_id_number_is_never_stored(office, notice):
    _preview(office, notice, xlsx(GOOD))
    for values in RosterImport.objects.values():  # waiting for confirmation
        assert "130102199901051234" not in str(values)
    _import(office, notice, xlsx(GOOD))
    for values in Student.objects.values():
        assert "130102199901051234" not in str(values)
    for values in RosterImport.objects.values():
        assert "130102199901051234" not in str(values)


def test_reimport_changes_nothing(office, notice):
    _import(office, notice, xlsx(GOOD))
    before = _snapshot()[:2]
    result = _import(office, notice, xlsx(GOOD))
    assert (result.created, result.updated, result.captures) == (0, 0, 0)
    assert _snapshot()[:2] == before


def test_confirming_twice_applies_once(office, notice):
    preview = _preview(office, notice, xlsx(GOOD))
    services.roster_import_commit(actor=office, import_id=preview.upload.pk)
    again = services.roster_import_commit(actor=office, import_id=preview.upload.pk)
    assert not again.changed
    assert Student.objects.count() == 3


def test_changed_rows_are_updated_and_listed(office, notice):
    _import(office, notice, xlsx(GOOD))
    changed = [row[:] for row in GOOD]
    changed[0][1] = "张叁"
    preview = _preview(office, notice, xlsx(changed))
    assert preview.upload.summary["update"] == 1
    assert preview.upload.summary["update_sample"] == [["202201010001", "张三", ["name"]]]
    services.roster_import_commit(actor=office, import_id=preview.upload.pk)
    assert Student.objects.get(student_no="202201010001").name == "张叁"


def test_missing_students_are_listed_and_withdrawn_only_when_ticked(office, notice):
    _import(office, notice, xlsx(GOOD))
    preview = _preview(office, notice, xlsx(GOOD[:2]))
    assert preview.upload.summary["missing"] == 1
    assert preview.upload.summary["missing_sample"] == [["202202010001", "王五", "经济学院"]]
    services.roster_import_commit(actor=office, import_id=preview.upload.pk)
    assert not Student.objects.get(student_no="202202010001").withdrawn
    result = _import(office, notice, xlsx(GOOD[:2]), withdraw_missing=True)
    assert result.withdrawn == 1
    assert Student.objects.get(student_no="202202010001").withdrawn


def test_title_rows_header_spaces_any_order_english_headers(office, notice):
    header = [" Name ", "student number", "Unit", "phone"]
    rows = [["张三", "202201010001", "法学院", "13800000001"]]
    result = _import(office, notice, xlsx(rows, header=header, title="2025届研究生名单"))
    assert result.created == 1


def test_full_width_and_numbers_stored_by_excel(office, notice):
    rows = [
        [202201010001, "张三", "法学院", None, None, None, 13800000001],
        [202201010002.0, "李四", "法学院", None, None, None, None],
        ["２０２２０１０１０００３", "　王五　", "法学院", None, None, None, None],
    ]
    _import(office, notice, xlsx(rows))
    assert set(Student.objects.values_list("student_no", flat=True)) == {
        "202201010001",
        "202201010002",
        "202201010003",
    }
    assert Student.objects.get(student_no="202201010003").name == "王五"
    assert Student.objects.get(student_no="202201010001").phone == "13800000001"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_csv_in_every_encoding_excel_writes(office, notice, encoding):
    result = _import(office, notice, csv_bytes(GOOD, encoding=encoding))
    assert result.created == 3
    assert Student.objects.get(student_no="202201010001").name == "张三"


def test_tab_separated_csv(office, notice):
    assert _import(office, notice, csv_bytes(GOOD, delimiter="\t")).created == 3


def _broken_zip():
    data = xlsx(GOOD)
    return data[: len(data) // 2]


def _zip_without_workbook():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    return buf.getvalue()


def _png():
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64


FILE_ERRORS = {
    "empty": (b"", "文件是空的"),
    "corrupt": (_broken_zip(), "文件已损坏"),
    "corrupt-zip-no-workbook": (_zip_without_workbook(), "文件已损坏"),
    "unsupported_format": (_png(), "只支持 Excel（.xlsx）和 CSV"),
    "xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "另存为” .xlsx"),
    "no_header": (xlsx([["a", "b"]], header=["甲", "乙"]), "没有找到表头"),
    "missing_column": (xlsx([["1", "张三"]], header=["学号", "姓名"]), "缺少必需的列：培养单位"),
    "no_rows": (xlsx([]), "没有任何学生数据"),
    "encoding": (b"\xff\xfe\xfd\xfc" * 10, "无法识别文件的文字编码"),
}


@pytest.mark.parametrize("case", FILE_ERRORS, ids=list(FILE_ERRORS))
def test_unusable_files_are_refused_with_their_message(office, notice, case):
    data, message = FILE_ERRORS[case]
    before = _snapshot()
    with pytest.raises(DomainError) as err:
        _preview(office, notice, data)
    assert err.value.code == case.split("-")[0]
    assert message in err.value.message
    assert _snapshot() == before
    assert not RosterImport.objects.exists()


def test_over_size_limit(office, notice, monkeypatch):
    from units import importing

    monkeypatch.setattr(importing, "MAX_BYTES", 1000)
    with pytest.raises(DomainError) as err:
        _preview(office, notice, xlsx(GOOD) + b"")
    assert err.value.code == "too_large" and "MB" in err.value.message
    assert not Student.objects.exists()


def test_over_row_limit(office, notice, monkeypatch):
    from units import importing

    monkeypatch.setattr(importing, "MAX_ROWS", 2)
    with pytest.raises(DomainError) as err:
        _preview(office, notice, xlsx(GOOD))
    assert err.value.code == "too_many_rows" and "分批导入" in err.value.message
    assert not Student.objects.exists()


ROW_ERRORS = {
    "duplicate": ([GOOD[0], GOOD[1], GOOD[0]], 4, "学号", "与第 2 行重复"),
    "unknown-unit": (
        [["202201010009", "赵六", "法学", None, None, None, None]],
        2,
        "培养单位",
        "未知的培养单位“法学”，是否为“法学院”？",
    ),
    "empty-name": ([["202201010009", "", "法学院", None, None, None, None]], 2, "姓名", "不能为空"),
    "empty-number": ([[None, "赵六", "法学院", None, None, None, None]], 2, "学号", "不能为空"),
    "too-long": (
        [["202201010009", "赵" * 65, "法学院", None, None, None, None]],
        2,
        "姓名",
        "超过 64 个字符",
    ),
    "scientific": (
        [["2.02201E+11", "赵六", "法学院", None, None, None, None]],
        2,
        "学号",
        "科学计数法",
    ),
    "rounded-float": (
        [[2.0220101000100003e17, "赵六", "法学院", None, None, None, None]],
        2,
        "学号",
        "末几位可能已丢失",
    ),
    "id-as-number": (
        [["202201010009", "赵六", "法学院", None, None, 130102199901011234, None]],
        2,
        "证件号码",
        "末几位可能已丢失",
    ),
    "bad-phone": (
        [["202201010009", "赵六", "法学院", None, None, None, "12345"]],
        2,
        "手机",
        "不是有效的手机号",
    ),
    "bad-level": (
        [["202201010009", "赵六", "法学院", "本科", None, None, None]],
        2,
        "层次",
        "无法识别的层次",
    ),
}


@pytest.mark.parametrize("case", ROW_ERRORS, ids=list(ROW_ERRORS))
def test_row_errors_name_row_column_and_reason(office, notice, case):
    rows, row, column, message = ROW_ERRORS[case]
    before = _snapshot()
    preview = _preview(office, notice, xlsx(rows))
    assert preview.upload is None
    matching = [e for e in preview.parsed.errors if e.row == row and e.column == column]
    assert matching, preview.parsed.errors
    assert message in matching[0].message
    assert _snapshot() == before
    assert not RosterImport.objects.exists()


def test_a_file_with_one_bad_row_imports_nothing(office, notice):
    rows = [*GOOD, ["202201010009", "赵六", "不存在学院", None, None, None, None]]
    preview = _preview(office, notice, xlsx(rows))
    assert len(preview.parsed.errors) == 1 and len(preview.parsed.rows) == 3
    assert not Student.objects.exists()


def test_only_office_may_import(counsellor, station, notice):
    for actor in (counsellor, station, Actor.coordinator_link(1)):
        with pytest.raises(DomainError) as err:
            _preview(actor, notice, xlsx(GOOD))
        assert err.value.code == "forbidden"
    assert not RosterImport.objects.exists()


def test_closed_campaign_refuses_import(office, notice):
    preview = _preview(office, notice, xlsx(GOOD))
    Campaign.objects.update(status=Campaign.Status.CLOSED)
    with pytest.raises(DomainError) as err:
        services.roster_import_commit(actor=office, import_id=preview.upload.pk)
    assert err.value.code == "campaign_closed"
    assert not Student.objects.exists()


def test_commit_rechecks_the_file(office, notice):
    preview = _preview(office, notice, xlsx(GOOD))
    from units.models import TrainingUnit

    TrainingUnit.objects.filter(name="经济学院").update(active=False)
    with pytest.raises(DomainError) as err:
        services.roster_import_commit(actor=office, import_id=preview.upload.pk)
    assert err.value.code == "has_errors"
    assert not Student.objects.exists()


def test_import_roster_command(notice, tmp_path, capsys):
    path = tmp_path / "roster.csv"
    path.write_bytes(csv_bytes(GOOD, encoding="gb18030"))
    call_command("import_roster", str(path), "--dry-run")
    assert "3 new" in capsys.readouterr().out
    assert not Student.objects.exists() and not RosterImport.objects.exists()
    call_command("import_roster", str(path))
    assert Student.objects.count() == 3
    call_command("import_roster", str(path))
    assert "0 created, 0 updated" in capsys.readouterr().out


def test_import_roster_command_reports_row_errors(notice, tmp_path):
    from django.core.management.base import CommandError

    path = tmp_path / "roster.xlsx"
    path.write_bytes(xlsx([GOOD[0], GOOD[0]]))
    with pytest.raises(CommandError, match="1 errors"):
        call_command("import_roster", str(path))
    assert not Student.objects.exists()


def test_header_only_workbook_with_blank_rows_is_no_rows(office, notice):
    wb = Workbook()
    wb.active.append(HEADER)
    wb.active.append([None] * 7)
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(DomainError) as err:
        _preview(office, notice, buf.getvalue())
    assert err.value.code == "no_rows"
