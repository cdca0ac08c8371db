"""Checking an uploaded .xlsx as an archive before openpyxl opens it.

An .xlsx is a zip of XML parts, and both layers can be turned into a weapon: a 1.6 KB file
that declares a sheet of A1:XFD1048576 kept a worker busy for 30 s, and small zip bombs
drove a worker to 2 GB. So before openpyxl sees a file, `check_xlsx` refuses it, fast and
without growing memory, when

* the central directory (sizes as declared, nothing decompressed) shows too many members,
  too many uncompressed bytes in total or in one member, or a member compressed far better
  than real spreadsheet XML ever is;
* an XML part, streamed in small chunks through expat with no tree built, declares a DTD
  or entities (billion laughs, XXE), nests deeper than any Office part, puts more
  elements in one row or one part than openpyxl can hold cheaply, is not well-formed, or
  declares (``<dimension ref=…>``) or uses a cell beyond the row and column limits.

zipfile never returns more bytes than a member's declared `file_size` (and then checks
the CRC), so the declared sizes bound what openpyxl can later decompress. The limits are
settings with these defaults; a real 20,000-row × 8-column roster passes each with a wide
margin (measured: 9 members, 9.8 MB uncompressed, sheet XML 9.8 MB at 11–17× compression,
depth 7, 25 elements per row).
"""

import io
import re
import zipfile
from xml.parsers import expat

from django.conf import settings
from django.utils.translation import gettext as _

MiB = 1024 * 1024


def _limit(name, default):
    return getattr(settings, name, default)


# Office writes 9–40 parts; a workbook with charts and pictures stays under a few hundred.
MAX_MEMBERS = _limit("ROSTER_XLSX_MAX_MEMBERS", 500)
# A 20,000-row roster is 9.8 MB uncompressed; the 30,000-row import limit is ~15 MB.
MAX_TOTAL_BYTES = _limit("ROSTER_XLSX_MAX_TOTAL_BYTES", 100 * MiB)
MAX_MEMBER_BYTES = _limit("ROSTER_XLSX_MAX_MEMBER_BYTES", 50 * MiB)
# Real sheet XML compresses 11–17×; a zip bomb compresses 1,000× and more. Members under
# RATIO_FLOOR cannot hurt whatever their ratio (an empty sheet compresses very well).
MAX_RATIO = _limit("ROSTER_XLSX_MAX_RATIO", 100)
RATIO_FLOOR = 1 * MiB
# Rows and columns of the sheet, declared or used (the roster has 8 columns, at most
# 30,000 data rows plus title and blank rows).
MAX_SHEET_ROWS = _limit("ROSTER_XLSX_MAX_ROWS", 50_000)
MAX_COLUMNS = _limit("ROSTER_XLSX_MAX_COLUMNS", 100)
# Office parts nest at most ~15 deep (worksheet/sheetData/row/c/is/r/t is 7).
MAX_DEPTH = 40
# openpyxl builds each <row> as a tree, and whole other parts (styles, workbook): bound them.
MAX_ROW_ELEMENTS = 4_000
MAX_PART_ELEMENTS = 1_000_000
CHUNK = 64 * 1024

_CELL_REF_RE = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")


class ArchiveRefused(Exception):
    """The file is refused before it is opened; `message` is for the office, `code` stable."""

    def __init__(self, message, code):
        super().__init__(message)
        self.message = message
        self.code = code


def corrupt():
    return ArchiveRefused(
        _("文件已损坏，或不是有效的 .xlsx 文件；请在 Excel 中重新保存后再上传。"), "corrupt"
    )


def _column_index(letters):
    index = 0
    for ch in letters.upper():
        index = index * 26 + ord(ch) - 64
    return index


def _cell_position(ref):
    """(row, column) of "B12", or None when the reference is not one cell."""
    match = _CELL_REF_RE.match(ref or "")
    if not match:
        return None
    return int(match.group(2)), _column_index(match.group(1))


def _too_big_sheet(ref):
    return ArchiveRefused(
        _(
            "工作表的范围 %(ref)s 超过上限（%(rows)d 行、%(cols)d 列）；"
            "请删除名单以外的空行、空列后再上传。"
        )
        % {"ref": ref[:40], "rows": MAX_SHEET_ROWS, "cols": MAX_COLUMNS},
        "sheet_too_large",
    )


def _beyond_limits(ref):
    position = _cell_position(ref)
    return position is not None and (position[0] > MAX_SHEET_ROWS or position[1] > MAX_COLUMNS)


def unsafe():
    return ArchiveRefused(
        _("文件中含有不允许的 XML 内容（文档类型或实体定义），可能是恶意构造的文件，已拒绝。"),
        "unsafe_xml",
    )


def _bad_structure():
    return ArchiveRefused(
        _("文件的 XML 结构异常（嵌套过深或元素过多），可能是恶意构造的文件，已拒绝。"),
        "xml_structure",
    )


def check_directory(archive):
    """Refuse on the central directory alone: counts and declared sizes, nothing inflated."""
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise ArchiveRefused(
            _("文件包含 %(n)d 个部件，超过 %(max)d 个的上限，不像是一份名单。")
            % {"n": len(members), "max": MAX_MEMBERS},
            "too_many_members",
        )
    total = 0
    for info in members:
        total += info.file_size
        if info.file_size > MAX_MEMBER_BYTES or total > MAX_TOTAL_BYTES:
            raise ArchiveRefused(
                _("文件解压后超过 %(mb)d MB 的上限，不像是一份名单。")
                % {"mb": MAX_TOTAL_BYTES // MiB},
                "uncompressed_too_large",
            )
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise ArchiveRefused(
                _("文件的压缩比异常（超过 %(max)d 倍），可能是恶意构造的文件（压缩炸弹），已拒绝。")
                % {"max": MAX_RATIO},
                "compression_ratio",
            )


class _PartScanner:
    """Streams one XML part through expat, keeping only counters."""

    def __init__(self):
        self.depth = 0
        self.elements = 0  # outside rows
        self.rows = 0
        self.row_depth = None
        self.row_elements = 0
        parser = expat.ParserCreate()
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        # Any DTD at all is refused: Office never writes one, and entities are how billion
        # laughs and XXE work. Refusing at the declaration means nothing is expanded.
        parser.StartDoctypeDeclHandler = self.doctype
        parser.EntityDeclHandler = self.doctype
        parser.ExternalEntityRefHandler = self.doctype
        self.parser = parser

    def doctype(self, *args):
        raise unsafe()

    def start(self, name, attrs):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _bad_structure()
        local = name.rpartition(":")[2]
        if self.row_depth is not None:
            self.row_elements += 1
            if self.row_elements > MAX_ROW_ELEMENTS:
                raise _bad_structure()
            if local == "c":
                # Only the column matters here: openpyxl pads each row up to its last cell.
                letters = attrs.get("r", "").rstrip("0123456789$").lstrip("$")
                if letters and _column_index(letters) > MAX_COLUMNS:
                    raise _too_big_sheet(attrs["r"])
            return
        if local == "row":
            self.rows += 1
            self.row_depth = self.depth
            self.row_elements = 0
            if self.rows > MAX_SHEET_ROWS:
                raise _too_big_sheet(f"{self.rows}+")
            ref = attrs.get("r", "")
            if ref.isdigit() and int(ref) > MAX_SHEET_ROWS:
                raise _too_big_sheet(f"A{ref}")
            return
        self.elements += 1
        if self.elements > MAX_PART_ELEMENTS:
            # Outside rows (which openpyxl discards one by one) elements accumulate.
            raise _bad_structure()
        if local == "dimension":
            # Near the top of a sheet: a huge declared range is refused after a few bytes.
            ref = attrs.get("ref", "")
            if any(_beyond_limits(corner) for corner in ref.split(":")):
                raise _too_big_sheet(ref)

    def end(self, name):
        if self.row_depth == self.depth:
            self.row_depth = None
        self.depth -= 1

    def feed(self, head, stream):
        try:
            self.parser.Parse(head, False)
            while chunk := stream.read(CHUNK):
                self.parser.Parse(chunk, False)
            self.parser.Parse(b"", True)
        except expat.ExpatError as exc:
            raise corrupt() from exc


def _looks_like_xml(head):
    head = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    return head.startswith(b"<") or head[:2] in (b"\xff\xfe", b"\xfe\xff")


def check_xlsx(data):
    """Refuse a hostile or broken .xlsx before openpyxl opens it (raises ArchiveRefused).

    Reads the central directory, then streams every XML part once in 64 KB chunks: time
    is linear in the declared (bounded) sizes, memory is constant.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            check_directory(archive)
            for info in archive.infolist():
                if info.is_dir():
                    continue
                with archive.open(info) as stream:
                    head = stream.read(64)
                    if not _looks_like_xml(head):
                        continue  # pictures, printer settings: openpyxl does not parse them
                    _PartScanner().feed(head, stream)
    except ArchiveRefused:
        raise
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError, ValueError):
        # Truncated, bad CRC, encrypted (RuntimeError), unknown compression method.
        raise corrupt() from None
