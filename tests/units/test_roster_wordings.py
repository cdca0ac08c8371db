"""Roster import: the wordings offices use for the level, the ID number's check digit, and
phone numbers written with spaces or dashes. Every file here is a real .xlsx."""

import pytest

from sessions import services
from tests.rosterfiles import xlsx
from units.models import Student

L = Student.Level
HEADER = ["学号", "姓名", "培养单位", "层次", "证件号码", "手机"]
# Valid GB 11643-1999 numbers (check digits 4 and X), and the same with a wrong check digit.
ID_OK = "130102199901051234"
ID_OK_X = "13010219990106123X"
ID_BAD_CHECK = "130102199901011234"  # the check digit of 13010219990101123 is 2


def _preview(office, campaign, rows, header=HEADER):
    return services.roster_import_preview(
        actor=office, campaign_id=campaign.pk, file_name="roster.xlsx", data=xlsx(rows, header)
    )


def _row(level=None, id_number=None, phone=None, no="202201010001"):
    return [no, "张三", "法学院", level, id_number, phone]


def _errors(preview, column):
    return [e.message for e in preview.parsed.errors if e.column == column]


def _commit(office, campaign, rows, header=HEADER):
    preview = _preview(office, campaign, rows, header)
    assert preview.parsed.errors == [], preview.parsed.errors
    services.roster_import_commit(actor=office, import_id=preview.upload.pk)


# --- level -------------------------------------------------------------------------------

WORDINGS = {
    "学术学位硕士": L.ACADEMIC_MASTER,
    "学术型硕士": L.ACADEMIC_MASTER,
    "学术硕士": L.ACADEMIC_MASTER,
    "学硕": L.ACADEMIC_MASTER,
    "学术学位硕士研究生": L.ACADEMIC_MASTER,
    "全日制学术学位硕士": L.ACADEMIC_MASTER,
    "Academic Master": L.ACADEMIC_MASTER,
    "专业学位硕士": L.PROFESSIONAL_MASTER,
    "专业型硕士": L.PROFESSIONAL_MASTER,
    "专业硕士": L.PROFESSIONAL_MASTER,
    "专硕": L.PROFESSIONAL_MASTER,
    "专业学位硕士研究生": L.PROFESSIONAL_MASTER,
    "非全日制专业学位硕士": L.PROFESSIONAL_MASTER,
    "全日制专业型硕士研究生": L.PROFESSIONAL_MASTER,
    "Professional Master": L.PROFESSIONAL_MASTER,
    "博士": L.ACADEMIC_DOCTOR,
    "博士研究生": L.ACADEMIC_DOCTOR,
    "全日制博士": L.ACADEMIC_DOCTOR,
    "学术学位博士": L.ACADEMIC_DOCTOR,
    "学术型博士研究生": L.ACADEMIC_DOCTOR,
    "PhD": L.ACADEMIC_DOCTOR,
    "Ph.D.": L.ACADEMIC_DOCTOR,
    "Doctor": L.ACADEMIC_DOCTOR,
    "专业学位博士": L.PROFESSIONAL_DOCTOR,
    "专业博士": L.PROFESSIONAL_DOCTOR,
    "工程博士": L.PROFESSIONAL_DOCTOR,
    "professional doctor": L.PROFESSIONAL_DOCTOR,
    " 专业学位硕士 ": L.PROFESSIONAL_MASTER,
    "ＰｈＤ": L.ACADEMIC_DOCTOR,  # full-width, as Chinese input methods type it
}


@pytest.mark.parametrize("wording", WORDINGS)
def test_usual_level_wordings_are_accepted(office, notice, wording):
    _commit(office, notice, [_row(level=wording)])
    assert Student.objects.get().level == WORDINGS[wording]


AMBIGUOUS = ["硕士", "硕士研究生", "全日制硕士", "非全日制硕士", "Master"]


@pytest.mark.parametrize("wording", AMBIGUOUS)
def test_a_master_wording_without_its_type_is_kept_as_said_not_guessed(office, notice, wording):
    # The issue: 硕士研究生 / 全日制硕士 … are accepted. The type is not guessed (it decides
    # the session when a unit is split 按层次): the student is a master of unstated type.
    _commit(office, notice, [_row(level=wording)])
    assert Student.objects.get().level == L.MASTER


TYPED = [
    ("硕士研究生", "专业学位", L.PROFESSIONAL_MASTER),
    ("全日制硕士", "学术学位", L.ACADEMIC_MASTER),
    ("非全日制硕士", "专业型", L.PROFESSIONAL_MASTER),
    ("硕士", "学硕", L.ACADEMIC_MASTER),
    ("Master", "professional", L.PROFESSIONAL_MASTER),
    ("博士研究生", "专业学位", L.PROFESSIONAL_DOCTOR),
    ("博士", "学术学位", L.ACADEMIC_DOCTOR),
    ("专硕", "专业学位", L.PROFESSIONAL_MASTER),  # both say the same: fine
]


@pytest.mark.parametrize(("level", "kind", "expected"), TYPED)
def test_a_degree_type_column_settles_the_level(office, notice, level, kind, expected):
    header = [*HEADER, "学位类型"]
    _commit(office, notice, [[*_row(level=level), kind]], header=header)
    assert Student.objects.get().level == expected


def test_a_degree_type_that_contradicts_the_level_is_refused(office, notice):
    header = [*HEADER, "学位类型"]
    preview = _preview(office, notice, [[*_row(level="学硕"), "专业学位"]], header=header)
    (message,) = _errors(preview, "层次")
    assert "“学硕”" in message and "“专业学位”" in message


def test_an_unknown_degree_type_is_refused(office, notice):
    header = [*HEADER, "学位类型"]
    preview = _preview(office, notice, [[*_row(level="硕士"), "在职"]], header=header)
    (message,) = _errors(preview, "学位类型")
    assert "“在职”" in message and "学术学位" in message and "专业学位" in message


def test_an_unknown_level_lists_every_accepted_synonym(office, notice):
    preview = _preview(office, notice, [_row(level="本科")])
    (message,) = _errors(preview, "层次")
    assert "无法识别的层次“本科”" in message
    accepted = ("学术学位硕士", "学硕", "专业学位硕士", "专硕", "博士", "PhD", "专业学位博士")
    for wording in (*accepted, "全日制", "研究生"):  # 全日制硕士研究生 reads as 硕士
        assert wording in message, wording


# --- ID number -----------------------------------------------------------------------------


@pytest.mark.parametrize("number", [ID_OK, ID_OK_X, ID_OK_X.lower(), f" {ID_OK[:6]} {ID_OK[6:]} "])
def test_a_valid_id_number_keeps_only_its_last_four(office, notice, number):
    _commit(office, notice, [_row(id_number=number)])
    student = Student.objects.get()
    assert student.id_tail == number.strip()[-4:].upper()


def test_a_wrong_check_digit_is_refused(office, notice):
    preview = _preview(office, notice, [_row(id_number=ID_BAD_CHECK)])
    (message,) = _errors(preview, "证件号码")
    assert "校验位" in message
    assert ID_BAD_CHECK not in message  # the full number is never echoed (nor stored)


@pytest.mark.parametrize(
    ("number", "fragment"),
    [
        ("130102990101123", "15 位"),  # first-generation card
        ("13010219990105123", "17 位"),  # the last character left out
        ("1301021999010512345", "位数不对"),
        ("13010219990105123Y", "格式不正确"),
    ],
)
def test_id_numbers_of_the_wrong_length_are_refused_clearly(office, notice, number, fragment):
    preview = _preview(office, notice, [_row(id_number=number)])
    (message,) = _errors(preview, "证件号码")
    assert fragment in message, message


@pytest.mark.parametrize(
    "number",
    [
        "E12345678",  # passport
        "H12345678",  # 港澳居民来往内地通行证
        "12345678",  # 台湾居民来往大陆通行证
        "USA110078008001",  # foreigner's permanent residence card (old, 15 characters)
    ],
)
def test_other_documents_keep_todays_rule(office, notice, number):
    _commit(office, notice, [_row(id_number=number)])
    assert Student.objects.get().id_tail == number[-4:]


def test_an_other_document_too_short_is_refused(office, notice):
    preview = _preview(office, notice, [_row(id_number="E12")])
    assert _errors(preview, "证件号码")


# --- phone -------------------------------------------------------------------------------

PHONES = {
    "138-0311-1234": "13803111234",
    "138 0311 1234": "13803111234",
    "+86 138 0311 1234": "13803111234",
    "+86-13803111234": "13803111234",
    "0086 13803111234": "13803111234",
    "0311-8765 4321": "0311-87654321",
    "0311 87654321": "0311-87654321",
    "(0311) 8765-4321": "0311-87654321",
    "（0311）87654321": "0311-87654321",
    "031187654321": "0311-87654321",
    "010-12345678": "010-12345678",
    "02112345678": "021-12345678",
    "13803111234": "13803111234",
}


@pytest.mark.parametrize("written", PHONES)
def test_phones_with_spaces_or_dashes_are_stored_normalised(office, notice, written):
    _commit(office, notice, [_row(phone=written)])
    assert Student.objects.get().phone == PHONES[written]


@pytest.mark.parametrize("written", ["12345", "138-0311-123", "+1 415 555 0100", "0311-123"])
def test_a_phone_that_stays_invalid_is_refused(office, notice, written):
    preview = _preview(office, notice, [_row(phone=written)])
    (message,) = _errors(preview, "手机")
    assert "不是有效的手机号" in message


def test_the_coordinator_form_stores_the_same_normal_form():
    from units.validators import normalise_phone, validate_phone

    for written, stored in PHONES.items():
        assert normalise_phone(written) == stored
        validate_phone(written)
