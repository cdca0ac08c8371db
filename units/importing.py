"""Reading a roster file (.xlsx or .csv) into checked rows, and planning what an import
would change. Pure reading: nothing here writes to the database.

The office's files are real-world files: a merged title row above the header, headers in
Chinese or English with stray spaces, full-width digits, student numbers that Excel
stored as numbers, CSV saved as GB18030 by Chinese Excel. Everything that cannot be read
with certainty is an error with its row, column and reason, never a guess.
"""

import csv
import difflib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from units import archive
from units.models import Student, TrainingUnit
from units.validators import PHONE_RE, id_number_problem, normalise_phone

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 30_000
HEADER_SEARCH_ROWS = 20

# field -> accepted headers, compared after NFKC, lower-casing and removing white space.
HEADERS = {
    "student_no": ("学号", "studentnumber", "studentno", "student_no", "studentid"),
    "name": ("姓名", "name", "studentname"),
    "unit": ("培养单位", "培养单位名称", "学院", "unit", "trainingunit", "school"),
    "level": ("层次", "培养层次", "level"),
    "degree_type": ("学位类型", "degreetype"),
    "major": ("专业", "专业名称", "major"),
    "id_number": ("证件号码", "身份证号", "身份证号码", "idnumber", "idno"),
    "id_tail": ("证件号后四位", "身份证后四位", "idlast4", "idtail"),
    "phone": ("手机", "手机号", "手机号码", "联系电话", "phone", "mobile"),
    # Optional: an attention note the doors show at every scan (sessions.services.
    # corrections.attention_notes_from_roster sets it at the import's commit).
    "note": ("备注", "提醒事项", "note", "remark", "remarks"),
    "status_change": ("学籍异动", "statuschange"),
}
REQUIRED = ("student_no", "name", "unit")
COLUMN_LABELS = {
    "student_no": gettext_lazy("学号"),
    "name": gettext_lazy("姓名"),
    "unit": gettext_lazy("培养单位"),
    "level": gettext_lazy("层次"),
    "degree_type": gettext_lazy("学位类型"),
    "major": gettext_lazy("专业"),
    "id_number": gettext_lazy("证件号码"),
    "id_tail": gettext_lazy("证件号后四位"),
    "phone": gettext_lazy("手机"),
    "note": gettext_lazy("备注"),
    "status_change": gettext_lazy("学籍异动"),
}
# The level column as offices write it. Each wording says the degree (master / doctor) and,
# when it does, the type (academic / professional). Before lookup a key is compared like a
# header (NFKC, lower case, no white space), without dots, without the study mode
# (全日制 / 非全日制 says how one studies, not the degree) and without a closing 研究生.
LEVEL_WORDS = {
    ("master", "academic"): ("学术学位硕士", "学术型硕士", "学术硕士", "学硕", "Academic Master"),
    ("master", "professional"): (
        "专业学位硕士",
        "专业型硕士",
        "专业硕士",
        "专硕",
        "Professional Master",
    ),
    ("doctor", "academic"): ("学术学位博士", "学术型博士", "学术博士", "学博"),
    ("doctor", "professional"): (
        "专业学位博士",
        "专业型博士",
        "专业博士",
        "专博",
        "工程博士",
        "教育博士",
        "临床医学博士",
        "兽医博士",
        "口腔医学博士",
        "中医博士",
        "Professional Doctor",
    ),
    # The degree alone. A doctorate is academic unless it says otherwise: professional
    # doctorates are always named as such (专业学位博士, 工程博士 ...) and a PhD is academic
    # by name. A master is not: both types are common and both may be full- or part-time,
    # so "硕士" alone is kept as Level.MASTER unless the 学位类型 column settles it.
    ("doctor", None): ("博士", "PhD", "Doctor"),
    ("master", None): ("硕士", "Master"),
}
LEVEL_OF = {
    ("master", "academic"): Student.Level.ACADEMIC_MASTER,
    ("master", "professional"): Student.Level.PROFESSIONAL_MASTER,
    ("doctor", "academic"): Student.Level.ACADEMIC_DOCTOR,
    ("doctor", "professional"): Student.Level.PROFESSIONAL_DOCTOR,
}
# The optional 学位类型 column, which settles "硕士" (a 学籍 system export carries it).
DEGREE_TYPE_WORDS = {
    "academic": ("学术学位", "学术型", "学术", "学硕", "学博", "Academic"),
    "professional": ("专业学位", "专业型", "专业", "专硕", "专博", "Professional"),
}


def _level_key(value):
    # normalise() by hand: this runs at import, before normalise is defined below.
    text = unicodedata.normalize("NFKC", str(value or ""))
    key = re.sub(r"[\s.'’·]", "", text).lower()
    for mode in ("非全日制", "全日制"):
        key = key.removeprefix(mode)
    return key.removesuffix("研究生")


LEVELS = {_level_key(word): meaning for meaning, words in LEVEL_WORDS.items() for word in words}
for (_degree, _kind), _level in LEVEL_OF.items():
    LEVELS[_level.value.replace("_", "")] = (_degree, _kind)  # academicmaster, as exported
DEGREE_TYPES = {
    _level_key(word): kind for kind, words in DEGREE_TYPE_WORDS.items() for word in words
}


def level_synonyms():
    """The accepted wordings, for the error message: one group per level. The brackets and
    separators are the page language's (translated), never Chinese glued into English."""
    comma = pgettext("list separator", "、")

    def group(label, words):
        return f"{label}{_('（%(part)s）') % {'part': comma.join(words)}}"

    groups = []
    for (degree, kind), level in LEVEL_OF.items():
        words = [w for w in LEVEL_WORDS[(degree, kind)] if w != str(level.label)]
        if kind == "academic" and degree == "doctor":
            words = [*LEVEL_WORDS[(degree, None)], *words]
        groups.append(group(level.label, words))
    groups.append(group(Student.Level.MASTER.label, LEVEL_WORDS[("master", None)]))
    return _("%(groups)s；前面可加“全日制”或“非全日制”，后面可加“研究生”（如“博士研究生”）") % {
        "groups": comma.join(groups)
    }


STUDENT_NO_RE = re.compile(r"^[0-9A-Za-z-]+$")
SCIENTIFIC_RE = re.compile(r"^[+-]?\d+(\.\d+)?[eE][+-]?\d+$")
ID_TAIL_RE = re.compile(r"^[0-9A-Z]{4}$")
# Unicode category Cc: C0 controls, DEL and C1 controls (NUL, tab, line breaks included).
CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f]")
# A formula as .xlsx stores it ("=1+1", "=A1&B1"); as text in a CSV it is one too.
FORMULA_RE = re.compile(r"=\S")
# Excel keeps 15 significant digits: a larger number it stored may already be rounded.
EXACT_FLOAT_LIMIT = 10**15

FIELD_MAX = {
    "student_no": Student._meta.get_field("student_no").max_length,
    "name": Student._meta.get_field("name").max_length,
    "major": Student._meta.get_field("major").max_length,
    # Capture.attention_note's length (units cannot import the sessions app).
    "note": 200,
    "status_change": 200,
}
# A 学籍异动 cell that says "no" sets no note; one that only says "yes" is the word itself.
STATUS_CHANGE = "学籍异动"
STATUS_CHANGE_NO = frozenset({"否", "无", "没有", "no", "n", "0", "-", "—", "/", "×"})
STATUS_CHANGE_YES = frozenset({"是", "有", "yes", "y", "1", "√", "✓"})


class ImportFileError(Exception):
    """The file as a whole cannot be read; nothing of it is used."""

    def __init__(self, message, code):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(slots=True)
class RowError:
    row: int
    column: str
    message: str


@dataclass(slots=True)
class RosterRow:
    row: int
    student_no: str
    name: str
    unit_id: int
    level: str | None
    major: str | None
    id_tail: str | None
    phone: str | None
    note: str | None = None  # the attention note of the optional 备注 / 学籍异动 columns


ROW_FIELDS = ("student_no", "name", "unit_id", "level", "major", "id_tail", "phone", "note")


def row_values(row):
    """A checked row as a JSON-ready list (the order of ROW_FIELDS)."""
    return [getattr(row, f) for f in ROW_FIELDS]


@dataclass
class ParsedRoster:
    rows: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    data_rows: int = 0


def normalise(value):
    """Text as people meant it: full-width forms made half-width, outer spaces trimmed."""
    if value is None:
        return ""
    return unicodedata.normalize("NFKC", str(value)).strip()


def _header_key(value):
    return re.sub(r"\s+", "", normalise(value)).lower()


_ALIASES = {alias: fld for fld, aliases in HEADERS.items() for alias in aliases}


# --- reading the file -------------------------------------------------------------


def _xlsx_rows(data):
    from defusedxml import DefusedXmlException
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        # read_only streams the sheet: memory stays flat on a 20,000-row file.
        # data_only=False: a formula cell reads as its formula ("=1+1"), refused by name in
        # _check_row; with cached values only, a file written by a program had none and the
        # formula read as an empty cell ("不能为空").
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        sheet = workbook.worksheets[0]
        # check_xlsx bounded the declared range and every cell's column; a sheet without
        # a declared range would be padded to its widest row, so bound that too.
        max_col = None if sheet.max_column else archive.MAX_COLUMNS + 1
        rows = sheet.iter_rows(
            values_only=True, max_row=archive.MAX_SHEET_ROWS + 1, max_col=max_col
        )
        for number, cells in enumerate(rows, start=1):
            if number > archive.MAX_SHEET_ROWS:
                raise ImportFileError(
                    _("工作表超过 %(max)d 行的上限；请删除名单以外的空行后再上传。")
                    % {"max": archive.MAX_SHEET_ROWS},
                    "too_many_rows",
                )
            if len(cells) > archive.MAX_COLUMNS:
                if any(c not in (None, "") for c in cells[archive.MAX_COLUMNS :]):
                    raise ImportFileError(
                        _("工作表超过 %(max)d 列的上限；请只保留名单需要的列后再上传。")
                        % {"max": archive.MAX_COLUMNS},
                        "too_many_columns",
                    )
                cells = cells[: archive.MAX_COLUMNS]
            yield cells
    except DefusedXmlException as exc:
        raise ImportFileError(archive.unsafe().message, "unsafe_xml") from exc
    except ValueError as exc:
        # openpyxl wraps what it met while loading the workbook in a ValueError.
        if isinstance(exc.__cause__ or exc.__context__, DefusedXmlException):
            raise ImportFileError(archive.unsafe().message, "unsafe_xml") from exc
        raise ImportFileError(archive.corrupt().message, "corrupt") from exc
    except (
        zipfile.BadZipFile,
        InvalidFileException,
        KeyError,
        OSError,
        IndexError,
        # Malformed XML (ElementTree's ParseError is a SyntaxError), or XML that openpyxl
        # cannot map onto a workbook: the file is unreadable, not a server error.
        SyntaxError,
        TypeError,
        RecursionError,
    ) as exc:
        raise ImportFileError(archive.corrupt().message, "corrupt") from exc


def _decode_csv(data):
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(_("无法识别文件的文字编码；请另存为 .xlsx 后再上传。"), "encoding")


def _csv_rows(data):
    text = _decode_csv(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    yield from csv.reader(io.StringIO(text), dialect)


def read_rows(data):
    """Yield the file's rows as tuples of cell values, whatever the format.

    Raises ImportFileError for an empty, over-large, unreadable or unsupported file.
    """
    if not data:
        raise ImportFileError(_("文件是空的。"), "empty")
    if len(data) > MAX_BYTES:
        raise ImportFileError(
            _("文件超过 %(mb)d MB 的上限。") % {"mb": MAX_BYTES // (1024 * 1024)}, "too_large"
        )
    if data.startswith(b"PK\x03\x04"):
        try:
            # Before openpyxl sees the file: refused in well under a second, memory flat.
            archive.check_xlsx(data)
        except archive.ArchiveRefused as exc:
            raise ImportFileError(exc.message, exc.code) from None
        return _xlsx_rows(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(
            _("这是旧版 Excel（.xls）文件，请在 Excel 中“另存为” .xlsx 后再上传。"), "xls"
        )
    if b"\x00" in data[:8192]:
        line = _nul_line_of_text(data)
        if line:
            # A CSV with a stray NUL is a CSV: say what is wrong with it, and where.
            raise ImportFileError(
                _(
                    "文件第 %(line)d 行含有无法读取的字符（NUL 空字符）；请删除该字符，"
                    "或在 Excel 中打开后另存为 .xlsx 再上传。"
                )
                % {"line": line},
                "nul_character",
            )
        raise ImportFileError(
            _("无法读取该文件：只支持 Excel（.xlsx）和 CSV 文件。"), "unsupported_format"
        )
    return _csv_rows(data)


def _nul_line_of_text(data):
    """The line number of the first NUL when `data` is a CSV apart from its NUL bytes (it
    decodes, has no other control character and its first line has a separator), else 0:
    a picture or a PDF renamed .csv is not a CSV."""
    try:
        text = _decode_csv(data.replace(b"\x00", b""))
    except ImportFileError:
        return 0
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    if re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text) or not re.search("[,\t;]", first_line):
        return 0
    return data[: data.index(b"\x00")].count(b"\n") + 1


# --- checking the rows ---------------------------------------------------------------


def _find_header(rows_iter):
    """Return (row number, {field: column index}) of the header, skipping title rows."""
    best = None
    for number, row in enumerate(rows_iter, start=1):
        found = {}
        for index, cell in enumerate(row or ()):
            fld = _ALIASES.get(_header_key(cell))
            if fld and fld not in found:
                found[fld] = index
        if all(f in found for f in REQUIRED):
            return number, found
        if len(found) >= 2 and (best is None or len(found) > len(best[1])):
            best = (number, found)
        if number >= HEADER_SEARCH_ROWS:
            break
    if best is not None:
        missing = pgettext("list separator", "、").join(
            str(COLUMN_LABELS[f]) for f in REQUIRED if f not in best[1]
        )
        raise ImportFileError(
            _("第 %(row)d 行的表头缺少必需的列：%(columns)s。")
            % {"row": best[0], "columns": missing},
            "missing_column",
        )
    raise ImportFileError(
        _("在前 %(n)d 行中没有找到表头（至少需要“学号”“姓名”“培养单位”三列）。")
        % {"n": HEADER_SEARCH_ROWS},
        "no_header",
    )


def _number_text(value, what):
    """A cell that must be exact text (student or ID number), also when Excel made it a number."""
    if isinstance(value, bool):
        raise ValueError(_("不是有效的%(what)s。") % {"what": what})
    if isinstance(value, int):
        if abs(value) >= EXACT_FLOAT_LIMIT:
            raise ValueError(
                _("%(what)s被 Excel 存成了数字，末几位可能已丢失；请把该列设为文本后重新填写。")
                % {"what": what}
            )
        return str(value)
    if isinstance(value, float):
        if not value.is_integer() or abs(value) >= EXACT_FLOAT_LIMIT:
            raise ValueError(
                _("%(what)s被 Excel 存成了数字，末几位可能已丢失；请把该列设为文本后重新填写。")
                % {"what": what}
            )
        return str(int(value))
    text = normalise(value)
    if SCIENTIFIC_RE.match(text):
        raise ValueError(
            _("%(what)s是科学计数法（%(text)s），已丢失精度；请把该列设为文本后重新填写。")
            % {"what": what, "text": text}
        )
    return text


class _Checker:
    def __init__(self, units):
        self.units = {normalise(u.name): u.id for u in units}
        self.unit_names = list(self.units)

    def unit(self, value):
        name = normalise(value)
        if name in self.units:
            return self.units[name]
        close = difflib.get_close_matches(name, self.unit_names, n=1, cutoff=0.3)
        if close:
            raise ValueError(
                _("未知的培养单位“%(name)s”，是否为“%(close)s”？")
                % {"name": name, "close": close[0]}
            )
        raise ValueError(_("未知的培养单位“%(name)s”。") % {"name": name})


def _check_row(number, cells, columns, checker, errors):
    def cell(fld):
        index = columns.get(fld)
        if index is None or index >= len(cells):
            return None
        return cells[index]

    values = {}
    ok = True
    failed = set()

    def fail(fld, message):
        nonlocal ok
        ok = False
        if fld not in failed:  # one error per cell: the first found
            failed.add(fld)
            errors.append(RowError(number, str(COLUMN_LABELS[fld]), str(message)))

    # A control character (NUL, a line break inside a cell, ...) is refused in every
    # field: SQLite would store it and PostgreSQL fails on NUL. Outer white space is
    # trimmed by normalise() and never stored, so only what would be kept is checked.
    for fld in COLUMN_LABELS:
        value = cell(fld)
        if isinstance(value, str) and CONTROL_RE.search(value.strip()):
            fail(fld, _("含有控制字符（如换行符、制表符或不可见字符）；请删除后重新填写。"))
        elif isinstance(value, str) and FORMULA_RE.match(value.strip()):
            fail(
                fld,
                _(
                    "是公式“%(formula)s”，不接受公式；请填写值本身（在 Excel 中复制该列，"
                    "再“选择性粘贴 → 值”）。"
                )
                % {"formula": value.strip()[:40]},
            )

    def text(fld, required=False):
        value = normalise(cell(fld))
        if required and not value:
            fail(fld, _("不能为空。"))
            return None
        if fld in FIELD_MAX and len(value) > FIELD_MAX[fld]:
            fail(fld, _("超过 %(max)d 个字符。") % {"max": FIELD_MAX[fld]})
            return None
        return value

    raw_no = cell("student_no")
    try:
        student_no = _number_text(raw_no, _("学号")) if raw_no not in (None, "") else ""
    except ValueError as exc:
        fail("student_no", exc)
        student_no = None
    if student_no == "":
        fail("student_no", _("不能为空。"))
    elif student_no is not None:
        if len(student_no) > FIELD_MAX["student_no"]:
            fail("student_no", _("超过 %(max)d 个字符。") % {"max": FIELD_MAX["student_no"]})
        elif not STUDENT_NO_RE.match(student_no):
            fail("student_no", _("学号只能包含数字、字母和连字符。"))
    values["student_no"] = student_no
    values["name"] = text("name", required=True)

    unit_value = normalise(cell("unit"))
    if not unit_value:
        fail("unit", _("不能为空。"))
    else:
        try:
            values["unit_id"] = checker.unit(unit_value)
        except ValueError as exc:
            fail("unit", exc)

    values["level"] = _level(cell("level"), cell("degree_type"), fail)

    major = text("major")
    values["major"] = major or None

    values["id_tail"] = None
    raw_id = cell("id_number")
    if raw_id not in (None, ""):
        try:
            id_number = _number_text(raw_id, _("证件号码")).upper().replace(" ", "")
        except ValueError as exc:
            fail("id_number", exc)
        else:
            problem = id_number_problem(id_number)
            if problem:
                # The message never repeats the number: the full number is never kept.
                fail("id_number", ID_PROBLEMS[problem] % {"n": len(id_number)})
            else:
                # Only the last 4 characters are kept; the full number is never stored.
                values["id_tail"] = id_number[-4:]
    raw_tail = cell("id_tail")
    if values["id_tail"] is None and raw_tail not in (None, ""):
        try:
            tail = _number_text(raw_tail, _("证件号后四位")).upper()
        except ValueError as exc:
            fail("id_tail", exc)
        else:
            if isinstance(raw_tail, int | float) and len(tail) < 4:
                tail = tail.zfill(4)  # Excel dropped the leading zeros of "0123".
            if not ID_TAIL_RE.match(tail):
                fail("id_tail", _("证件号后四位应为 4 个数字或字母。"))
            else:
                values["id_tail"] = tail

    raw_phone = cell("phone")
    values["phone"] = None
    if raw_phone not in (None, ""):
        try:
            written = _number_text(raw_phone, _("手机"))
        except ValueError as exc:
            fail("phone", exc)
        else:
            phone = normalise_phone(written)
            if not PHONE_RE.match(phone):
                fail(
                    "phone",
                    _("“%(phone)s”不是有效的手机号或带区号的固定电话。") % {"phone": written},
                )
            else:
                values["phone"] = phone

    values["note"] = _note(text("note"), text("status_change"))

    if not ok:
        return None
    return RosterRow(row=number, **values)


ID_PROBLEMS = {
    "check_digit": gettext_lazy(
        "证件号码的校验位（最后一位）与前 17 位不符，请核对是否抄错（按 GB 11643 计算）。"
    ),
    "first_generation": gettext_lazy("这是 15 位的旧身份证号码；请填写 18 位的身份证号码。"),
    "short": gettext_lazy(
        "证件号码只有 17 位，少了一位；身份证号码应为 18 位（最后一位可能是 X）。"
    ),
    "length": gettext_lazy("身份证号码位数不对（%(n)d 位），应为 18 位。"),
    "format": gettext_lazy("证件号码格式不正确。"),
}


def _level(raw_level, raw_type, fail):
    """The Student.Level of a row's 层次 (and optional 学位类型) cells, or None when empty."""
    level = normalise(raw_level)
    kind_text = normalise(raw_type)
    kind = None
    if kind_text:
        kind = DEGREE_TYPES.get(_level_key(kind_text))
        if kind is None:
            fail(
                "degree_type",
                _("无法识别的学位类型“%(kind)s”（可用：%(words)s）。")
                % {
                    "kind": kind_text,
                    "words": pgettext("list separator", "、").join(
                        w for words in DEGREE_TYPE_WORDS.values() for w in words
                    ),
                },
            )
            return None
    if not level:
        return None
    meaning = LEVELS.get(_level_key(level))
    if meaning is None:
        fail(
            "level",
            _("无法识别的层次“%(level)s”。可用的写法：%(words)s。")
            % {"level": level, "words": level_synonyms()},
        )
        return None
    degree, said = meaning
    if said and kind and said != kind:
        fail(
            "level",
            _("层次“%(level)s”与学位类型“%(kind)s”不一致，请核对。")
            % {"level": level, "kind": kind_text},
        )
        return None
    kind = said or kind
    if kind is None and degree == "master":
        # Not guessed: the level decides a session when a unit is split 按层次.
        return Student.Level.MASTER
    return LEVEL_OF[(degree, kind or "academic")]


def _note(note, status_change):
    """The attention note of a row: its 学籍异动 cell (labelled as such) and its 备注 cell,
    or None when both are empty."""
    change = status_change or ""
    if change.casefold() in STATUS_CHANGE_NO:
        change = ""
    elif change.casefold() in STATUS_CHANGE_YES:
        change = STATUS_CHANGE
    elif change and not change.startswith(STATUS_CHANGE):
        change = f"{STATUS_CHANGE}：{change}"
    text = "；".join(v for v in (change, note) if v)
    return text[: FIELD_MAX["note"]] or None


def parse_roster(data, *, units=None, progress=None):
    """Read and check a roster file. Returns ParsedRoster (rows + per-row errors).

    Raises ImportFileError when the file as a whole is unusable. `progress(n)` is called
    every 1,000 data rows.
    """
    units = list(TrainingUnit.objects.filter(active=True)) if units is None else units
    checker = _Checker(units)
    rows_iter = iter(read_rows(data))
    header_row, columns = _find_header(rows_iter)
    result = ParsedRoster()
    seen = {}
    for number, cells in enumerate(rows_iter, start=header_row + 1):
        if not cells or all(c is None or normalise(c) == "" for c in cells):
            continue
        result.data_rows += 1
        if result.data_rows > MAX_ROWS:
            raise ImportFileError(
                _("文件超过 %(max)d 行的上限；请分批导入。") % {"max": MAX_ROWS}, "too_many_rows"
            )
        if progress and result.data_rows % 1000 == 0:
            progress(result.data_rows)
        row = _check_row(number, cells, columns, checker, result.errors)
        if row is None:
            continue
        first = seen.get(row.student_no)
        if first is not None:
            result.errors.append(
                RowError(
                    number,
                    str(COLUMN_LABELS["student_no"]),
                    _("学号 %(no)s 与第 %(row)d 行重复。") % {"no": row.student_no, "row": first},
                )
            )
            continue
        seen[row.student_no] = number
        result.rows.append(row)
    if result.data_rows == 0:
        raise ImportFileError(_("表头下面没有任何学生数据。"), "no_rows")
    return result


# --- planning the change ---------------------------------------------------------------

UPDATABLE = ("name", "unit_id", "level", "major", "id_tail", "phone")


@dataclass
class ImportPlan:
    create: list = field(default_factory=list)  # RosterRow
    update: list = field(default_factory=list)  # (Student, {field: new value})
    unchanged: int = 0
    # (id, student number, name, unit name) of students of the cohort missing from the file
    missing: list = field(default_factory=list)


def plan_import(rows, *, cohort, chunk=2000):
    """Compare checked rows with the database: who is new, changed, unchanged, missing."""
    plan = ImportPlan()
    numbers = [r.student_no for r in rows]
    existing = {}
    for i in range(0, len(numbers), chunk):
        for student in Student.objects.filter(student_no__in=numbers[i : i + chunk]):
            existing[student.student_no] = student
    for row in rows:
        student = existing.get(row.student_no)
        if student is None:
            plan.create.append(row)
            continue
        changes = {}
        for fld in UPDATABLE:
            new = getattr(row, fld)
            # An empty optional cell keeps what is stored.
            if new is not None and getattr(student, fld) != new:
                changes[fld] = new
        if student.withdrawn:
            changes["withdrawn"] = False
        if student.cohort != cohort:
            changes["cohort"] = cohort
        if changes:
            plan.update.append((student, changes))
        else:
            plan.unchanged += 1
    in_file = set(numbers)
    # (id, student number, name, unit name) tuples: light enough for 20,000 students.
    plan.missing = [
        row
        for row in Student.objects.filter(cohort=cohort, withdrawn=False)
        .order_by("unit__display_order", "student_no")
        .values_list("pk", "student_no", "name", "unit__name")
        if row[1] not in in_file
    ]
    return plan
