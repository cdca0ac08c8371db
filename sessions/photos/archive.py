"""Opening a delivered photo archive (.zip) as hostile input (issue 15, point 6).

Everything that can be judged from the archive's directory is judged before a single member
is read, and the whole archive is refused (DomainError, nothing stored) when

* it is not a zip (``not_zip``), larger than the limit (``archive_too_large``), or empty
  (``empty``);
* its central directory holds more entries than the limit (``too_many_members``) — counted
  on the directory's raw bytes, before zipfile builds an object per entry;
* a member declares more bytes than the limit (``member_too_large``), a member or the
  archive as a whole unpacks to more than `max_ratio` times its packed size
  (``compression_ratio``: a zip bomb), or the members' packed data overlap
  (``overlapping``: the other kind of zip bomb, one packed stream shared by many entries);
* a name is absolute or climbs out with ``..`` (``unsafe_path``), a member is a symbolic link
  (``symlink``), encrypted (``encrypted``), or packed with a method we do not read
  (``unsupported_compression``).

Nothing is ever extracted to disk: members are read straight from the zip, one at a time,
and zipfile never returns more than a member's declared size (it checks the CRC at the
end), so the declared sizes bound the work. Memory stays flat in the number of photos:
one member's bytes at a time.

Limits: settings.PHOTO_INTAKE_LIMITS (max_archive_bytes, max_members, max_member_bytes,
max_ratio).
"""

import hashlib
import io
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from capture_portal.exceptions import DomainError

MiB = 1024 * 1024
# Members below this size cannot hurt whatever their ratio (a .DS_Store compresses 50×);
# the archive's total ratio still counts them.
RATIO_FLOOR = 64 * 1024
# A central directory entry is 46 bytes plus its name, extra field and comment; real photo
# archives use well under 300 bytes per entry.
DIRECTORY_BYTES_PER_MEMBER = 1024
READABLE_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)
# What archivers and file managers leave beside the photos: skipped without a word.
JUNK_NAMES = frozenset({"thumbs.db", "desktop.ini"})
_DRIVE_RE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class Member:
    """One file of the archive. `index` is its position in the central directory (how the
    commit finds it again); `folders` the folders it sits in; `data` its bytes, or None
    when it could not be read (a bad CRC, a broken local header)."""

    index: int
    folders: tuple
    name: str
    data: bytes | None

    @property
    def path(self):
        return "/".join((*self.folders, self.name))


def _limits(limits):
    return {**settings.PHOTO_INTAKE_LIMITS, **(limits or {})}


def _refuse(message, code):
    return DomainError(message, code)


def _not_zip():
    return _refuse(
        _("上传的文件不是有效的 .zip 压缩包（或已损坏）；请重新打包为 .zip 后上传。"), "not_zip"
    )


def _size_of(fileobj):
    fileobj.seek(0, io.SEEK_END)
    size = fileobj.tell()
    fileobj.seek(0)
    return size


def decode_name(info):
    """The member's name as its author wrote it. Without the UTF-8 flag zipfile reads names
    as cp437, but Chinese Windows writes GBK and macOS writes UTF-8 without the flag: the
    original bytes are decoded again, UTF-8 first, then GB 18030."""
    name = info.filename
    if info.flag_bits & 0x800:
        return name
    try:
        raw = info.orig_filename.encode("cp437")
    except UnicodeEncodeError:
        return name
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding).split("\x00", 1)[0]
        except UnicodeDecodeError:
            continue
    return name


def split_path(name):
    """The parts of a member's name, on either kind of slash, empty parts dropped."""
    return [p for p in re.split(r"[\\/]+", name) if p]


def _unsafe(name):
    return (
        name.startswith(("/", "\\"))
        or bool(_DRIVE_RE.match(name))
        or any(p.strip() == ".." for p in re.split(r"[\\/]", name))
    )


def _is_junk(parts):
    if not parts:
        return True
    if parts[0] == "__MACOSX":
        return True
    return any(p.startswith(".") for p in parts) or parts[-1].lower() in JUNK_NAMES


def _count_directory(fileobj, limits):
    """Refuse on the end record and the raw central directory, before zipfile makes an
    object for each entry (a hostile directory of millions of entries would cost gigabytes).
    zipfile's own reader of the end record finds it exactly as ZipFile will."""
    try:
        end = zipfile._EndRecData(fileobj)
    except (OSError, ValueError, EOFError):
        raise _not_zip() from None
    if not end:
        raise _not_zip()
    size = end[zipfile._ECD_SIZE]
    start = end[zipfile._ECD_LOCATION] - size
    if end[zipfile._ECD_SIGNATURE] == zipfile.stringEndArchive64:
        start -= zipfile.sizeEndCentDir64 + zipfile.sizeEndCentDir64Locator
    too_many = _refuse(
        _("压缩包包含的文件超过 %(max)d 个的上限；请分成几个压缩包上传。")
        % {"max": limits["max_members"]},
        "too_many_members",
    )
    if end[zipfile._ECD_ENTRIES_TOTAL] > limits["max_members"]:
        raise too_many
    if size > limits["max_members"] * DIRECTORY_BYTES_PER_MEMBER + 64 * 1024:
        raise too_many
    if start < 0:
        raise _not_zip()
    fileobj.seek(start)
    directory = fileobj.read(size)
    # Every entry starts with this signature; a name containing it only counts too many.
    if directory.count(b"PK\x01\x02") > limits["max_members"]:
        raise too_many
    fileobj.seek(0)


def _check_entries(infos, archive_bytes, limits):
    """Refuse on what the central directory declares (nothing is inflated)."""
    total, packed = 0, 0
    for info in infos:
        name = decode_name(info)
        if _unsafe(name) or _unsafe(info.filename):
            raise _refuse(
                _(
                    "压缩包中的文件“%(name)s”使用了绝对路径或“..”上级目录，可能是恶意构造的文件，已拒绝。"
                )
                % {"name": name[:100]},
                "unsafe_path",
            )
        if stat.S_ISLNK(info.external_attr >> 16):
            raise _refuse(
                _("压缩包中含有符号链接“%(name)s”，已拒绝；请只打包照片文件。")
                % {"name": name[:100]},
                "symlink",
            )
        if info.is_dir():
            continue
        if info.flag_bits & 0x1:
            raise _refuse(
                _("压缩包已加密（设置了密码），无法读取；请不加密重新打包。"), "encrypted"
            )
        if info.compress_type not in READABLE_METHODS:
            raise _refuse(
                _(
                    "压缩包使用了不支持的压缩方式；"
                    "请用“存储”或“标准（Deflate）”方式重新打包为 .zip。"
                ),
                "unsupported_compression",
            )
        if info.file_size > limits["max_member_bytes"]:
            raise _refuse(
                _("压缩包中的文件“%(name)s”解压后超过 %(mb)d MB 的上限，不像是一张证件照，已拒绝。")
                % {"name": name[:100], "mb": max(1, limits["max_member_bytes"] // MiB)},
                "member_too_large",
            )
        if info.file_size > RATIO_FLOOR and info.file_size > limits["max_ratio"] * max(
            info.compress_size, 1
        ):
            raise _bomb(limits)
        total += info.file_size
        packed += info.compress_size
    if packed > archive_bytes:
        # Each member's packed data takes its own bytes of the archive; more packed bytes
        # than the archive holds means entries share them (an overlapping zip bomb).
        raise _refuse(
            _(
                "压缩包的结构异常（多个文件共用同一段数据），可能是恶意构造的文件（压缩炸弹），已拒绝。"
            ),
            "overlapping",
        )
    if total > RATIO_FLOOR and total > limits["max_ratio"] * max(archive_bytes, 1):
        raise _bomb(limits)


def _bomb(limits):
    return _refuse(
        _("压缩包的压缩比异常（超过 %(max)d 倍），可能是恶意构造的文件（压缩炸弹），已拒绝。")
        % {"max": limits["max_ratio"]},
        "compression_ratio",
    )


class PhotoArchive:
    """A checked archive, open for reading. Iterating yields a `Member` per photo file, one
    at a time (directories, __MACOSX/, dotfiles, Thumbs.db and desktop.ini skipped);
    `read(index)` reads one member again (the commit)."""

    def __init__(self, zf):
        self._zf = zf
        self.infos = zf.infolist()
        self.skipped = 0

    def _parts(self, info):
        return split_path(decode_name(info))

    def __iter__(self):
        self.skipped = 0
        for index, info in enumerate(self.infos):
            if info.is_dir():
                continue
            parts = self._parts(info)
            if _is_junk(parts):
                self.skipped += 1
                continue
            yield Member(index, tuple(parts[:-1]), parts[-1], self._read(info))

    def hashed(self):
        """Like iterating, but each member comes with the SHA-256 (hex) of its bytes (None
        when it could not be read), hashed as it is read. (Reading ahead on a worker thread
        — inflating and hashing release the GIL — was measured: no gain on a shared
        2-core machine, so it is not done.)"""
        self.skipped = 0
        for index, info in enumerate(self.infos):
            if info.is_dir():
                continue
            parts = self._parts(info)
            if _is_junk(parts):
                self.skipped += 1
                continue
            yield self._read_hashed(index, info, parts)

    def _read_hashed(self, index, info, parts):
        data = self._read(info)
        sha = None if data is None else hashlib.sha256(data).hexdigest()
        return Member(index, tuple(parts[:-1]), parts[-1], data), sha

    def member(self, index):
        """The member at `index` (a photo file), read again; None for a missing index."""
        if not 0 <= index < len(self.infos):
            return None
        info = self.infos[index]
        parts = self._parts(info)
        if info.is_dir() or _is_junk(parts):
            return None
        return Member(index, tuple(parts[:-1]), parts[-1], self._read(info))

    def _read(self, info):
        try:
            with self._zf.open(info) as stream:
                return stream.read()
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, RuntimeError):
            # NotImplementedError is a RuntimeError: an unknown method, refused above.
            return None


class open_archive:
    """``with open_archive(fileobj) as archive:`` — check an uploaded archive (a seekable
    binary file object) from its directory and open it for reading, or raise DomainError
    with one of the codes above. `limits` overrides settings.PHOTO_INTAKE_LIMITS."""

    def __init__(self, fileobj, *, limits=None):
        self.fileobj = fileobj
        self.limits = _limits(limits)
        self._zf = None

    def __enter__(self):
        fileobj, limits = self.fileobj, self.limits
        size = _size_of(fileobj)
        if size > limits["max_archive_bytes"]:
            raise _refuse(
                _("压缩包超过 %(mb)d MB 的上限；请分成几个压缩包上传。")
                % {"mb": limits["max_archive_bytes"] // MiB},
                "archive_too_large",
            )
        _count_directory(fileobj, limits)
        try:
            self._zf = zipfile.ZipFile(fileobj)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
            raise _not_zip() from None
        try:
            infos = self._zf.infolist()
            if len(infos) > limits["max_members"]:
                raise _refuse(
                    _("压缩包包含的文件超过 %(max)d 个的上限；请分成几个压缩包上传。")
                    % {"max": limits["max_members"]},
                    "too_many_members",
                )
            _check_entries(infos, size, limits)
            if not any(not i.is_dir() and not _is_junk(split_path(decode_name(i))) for i in infos):
                raise _refuse(_("压缩包中没有任何文件。"), "empty")
        except BaseException:
            self._zf.close()
            raise
        return PhotoArchive(self._zf)

    def __exit__(self, *exc):
        if self._zf is not None:
            self._zf.close()
        return False
