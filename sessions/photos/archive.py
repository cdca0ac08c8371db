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
never inflated beyond their declared size, and checked against their CRC, so the declared
sizes bound the work. Memory stays flat in the number of photos: the central directory is
read as a stream, 64 KB at a time, one entry alive at a time — never
zipfile's list of every entry (some 500 bytes a member) — and one member's bytes at a time.
The layout of the directory and the local headers is the stdlib's (zipfile's structs); a
Deflate member is inflated with zlib-ng (a faster drop-in for zlib; its CRC-32 too), a
bzip2 or LZMA one with bz2 or zipfile's LZMA reader, as zipfile would.

Limits: settings.PHOTO_INTAKE_LIMITS (max_archive_bytes, max_members, max_member_bytes,
max_ratio).
"""

import bz2
import hashlib
import io
import lzma
import re
import stat
import struct
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from zlib_ng import zlib_ng

from capture_portal.exceptions import DomainError

MiB = 1024 * 1024
# Members below this size cannot hurt whatever their ratio (a .DS_Store compresses 50×);
# the archive's total ratio still counts them.
RATIO_FLOOR = 64 * 1024
# A central directory entry is 46 bytes plus its name, extra field and comment; real photo
# archives use well under 300 bytes per entry.
DIRECTORY_BYTES_PER_MEMBER = 1024
# The central directory is read this much at a time.
DIRECTORY_BLOCK = 64 * 1024
# A member's local header is read together with its data: this much room for its name and
# extra field (a longer one costs a second read).
LOCAL_HEADER_SLACK = 1024
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
    """(start, size, concat) of the central directory, or a refusal on the end record and
    the raw directory's bytes, before a single entry is parsed (a hostile directory of
    millions of entries is refused for the price of reading it). zipfile's own reader of
    the end record finds it exactly as ZipFile would."""
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
    too_many = _too_many(limits)
    if end[zipfile._ECD_ENTRIES_TOTAL] > limits["max_members"]:
        raise too_many
    if size > limits["max_members"] * DIRECTORY_BYTES_PER_MEMBER + 64 * 1024:
        raise too_many
    if start < 0:
        raise _not_zip()
    # Every entry starts with this signature; a name containing it only counts too many.
    # Counted block by block, three bytes kept over so that none is cut in two.
    fileobj.seek(start)
    count, left, tail = 0, size, b""
    while left > 0:
        block = fileobj.read(min(DIRECTORY_BLOCK, left))
        if not block:
            raise _not_zip()
        left -= len(block)
        data = tail + block
        count += data.count(zipfile.stringCentralDir)
        tail = data[-3:]
    if count > limits["max_members"]:
        raise too_many
    fileobj.seek(0)
    # As zipfile counts it: non-zero when the zip was appended to another file.
    concat = start - end[zipfile._ECD_OFFSET]
    return start, size, concat


def _too_many(limits):
    return _refuse(
        _("压缩包包含的文件超过 %(max)d 个的上限；请分成几个压缩包上传。")
        % {"max": limits["max_members"]},
        "too_many_members",
    )


def _zip64(info):
    """Sizes and offset from the zip64 extra field, where the directory says 0xFFFFFFFF
    (as zipfile's ZipInfo._decodeExtra reads them)."""
    extra = info.extra
    while len(extra) >= 4:
        kind, length = struct.unpack("<HH", extra[:4])
        if length + 4 > len(extra):
            raise zipfile.BadZipFile("corrupt extra field")
        if kind == 0x0001:
            data = extra[4 : length + 4]
            try:
                if info.file_size in (0xFFFF_FFFF_FFFF_FFFF, 0xFFFF_FFFF):
                    (info.file_size,) = struct.unpack("<Q", data[:8])
                    data = data[8:]
                if info.compress_size == 0xFFFF_FFFF:
                    (info.compress_size,) = struct.unpack("<Q", data[:8])
                    data = data[8:]
                if info.header_offset == 0xFFFF_FFFF:
                    (info.header_offset,) = struct.unpack("<Q", data[:8])
            except struct.error:
                raise zipfile.BadZipFile("corrupt zip64 extra field") from None
        extra = extra[length + 4 :]


class Entry:
    """One entry of the central directory, with the attributes of a `zipfile.ZipInfo` that
    the checks and the reader use (a ZipInfo costs several times more to make, and one is
    made per entry on every pass over the directory)."""

    __slots__ = (
        "orig_filename",
        "filename",
        "flag_bits",
        "compress_type",
        "CRC",
        "compress_size",
        "file_size",
        "external_attr",
        "header_offset",
        "extra",
    )

    def __init__(self, name, fields, extra):
        self.orig_filename = name
        # As ZipInfo: the name stops at a NUL byte.
        self.filename = name.split("\x00", 1)[0]
        (
            self.flag_bits,
            self.compress_type,
            self.CRC,
            self.compress_size,
            self.file_size,
            self.external_attr,
            self.header_offset,
        ) = (
            fields[zipfile._CD_FLAG_BITS],
            fields[zipfile._CD_COMPRESS_TYPE],
            fields[zipfile._CD_CRC],
            fields[zipfile._CD_COMPRESSED_SIZE],
            fields[zipfile._CD_UNCOMPRESSED_SIZE],
            fields[zipfile._CD_EXTERNAL_FILE_ATTRIBUTES],
            fields[zipfile._CD_LOCAL_HEADER_OFFSET],
        )
        self.extra = extra

    def is_dir(self):
        return self.filename.endswith("/")


def iter_directory(fileobj, start, size, concat):
    """The central directory's entries (`Entry`), parsed as zipfile parses them
    (ZipFile._RealGetContents), one at a time: the caller keeps none of them. The file is
    read 64 KB at a time from the directory's own position (sought before each read), so
    members may be read between two entries. A malformed directory: ``not_zip``."""
    fixed = zipfile.sizeCentralDir
    buffer, position, offset, left = b"", 0, start, size

    def need(n):
        nonlocal buffer, position, offset, left
        if len(buffer) - position >= n:
            return True
        buffer = buffer[position:]
        position = 0
        while len(buffer) < n and left > 0:
            fileobj.seek(offset)
            block = fileobj.read(min(max(DIRECTORY_BLOCK, n), left))
            if not block:
                return False
            offset += len(block)
            left -= len(block)
            buffer += block
        return len(buffer) >= n

    consumed = 0
    while consumed < size:
        if not need(fixed):
            raise _not_zip()
        fields = struct.unpack_from(zipfile.structCentralDir, buffer, position)
        if fields[zipfile._CD_SIGNATURE] != zipfile.stringCentralDir:
            raise _not_zip()
        name_length = fields[zipfile._CD_FILENAME_LENGTH]
        extra_length = fields[zipfile._CD_EXTRA_FIELD_LENGTH]
        length = fixed + name_length + extra_length + fields[zipfile._CD_COMMENT_LENGTH]
        if not need(length):
            raise _not_zip()
        at = position + fixed
        flags = fields[zipfile._CD_FLAG_BITS]
        try:
            name = buffer[at : at + name_length].decode("utf-8" if flags & 0x800 else "cp437")
            entry = Entry(name, fields, buffer[at + name_length : at + name_length + extra_length])
            if entry.extra:
                _zip64(entry)
        except (UnicodeDecodeError, zipfile.BadZipFile):
            raise _not_zip() from None
        entry.header_offset += concat
        position += length
        consumed += length
        yield entry


def _check_entries(infos, archive_bytes, limits):
    """Refuse on what the central directory declares (nothing is inflated). Returns whether
    the archive holds any photo file (not a folder, not junk)."""
    total, packed, count, files = 0, 0, 0, False
    for info in infos:
        count += 1
        if count > limits["max_members"]:
            raise _too_many(limits)
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
        files = files or not _is_junk(split_path(name))
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
    return files


def _bomb(limits):
    return _refuse(
        _("压缩包的压缩比异常（超过 %(max)d 倍），可能是恶意构造的文件（压缩炸弹），已拒绝。")
        % {"max": limits["max_ratio"]},
        "compression_ratio",
    )


class PhotoArchive:
    """A checked archive, open for reading. Iterating yields a `Member` per photo file, one
    at a time (directories, __MACOSX/, dotfiles, Thumbs.db and desktop.ini skipped);
    `members(indexes)` reads the members at some indexes again (the commit)."""

    def __init__(self, fileobj, directory):
        self._fileobj = fileobj
        # Bound once: an uploaded file proxies every call through one or two wrappers.
        self._seek, self._read_bytes = fileobj.seek, fileobj.read
        self._directory = directory
        self.skipped = 0

    def _entries(self):
        """(index, entry, path parts) of each photo file, counting the junk skipped."""
        self.skipped = 0
        for index, info in enumerate(iter_directory(self._fileobj, *self._directory)):
            if info.is_dir():
                continue
            parts = split_path(decode_name(info))
            if _is_junk(parts):
                self.skipped += 1
                continue
            yield index, info, parts

    def __iter__(self):
        for index, info, parts in self._entries():
            yield Member(index, tuple(parts[:-1]), parts[-1], self._read(info))

    def hashed(self):
        """Like iterating, but each member comes with the SHA-256 (hex) of its bytes (None
        when it could not be read), hashed as it is read. (Reading ahead on a worker thread
        — inflating and hashing release the GIL — was measured: no gain on a shared
        2-core machine, so it is not done.)"""
        for index, info, parts in self._entries():
            data = self._read(info)
            sha = None if data is None else hashlib.sha256(data).hexdigest()
            yield Member(index, tuple(parts[:-1]), parts[-1], data), sha

    def members(self, indexes):
        """The photo files at `indexes` (ascending), read again, in one pass over the
        directory: (index, Member or None when the index is not a photo file)."""
        wanted = iter(indexes)
        index = next(wanted, None)
        if index is None:
            return
        for at, info, parts in self._entries():
            while index is not None and index < at:
                yield index, None
                index = next(wanted, None)
            if index is None:
                return
            if index == at:
                yield index, Member(at, tuple(parts[:-1]), parts[-1], self._read(info))
                index = next(wanted, None)
        while index is not None:
            yield index, None
            index = next(wanted, None)

    def _read(self, info):
        """The member's bytes, or None when its local header, its size or its CRC is wrong
        (as zipfile would raise). One seek and one read for the header and the data."""
        fixed = zipfile.sizeFileHeader
        try:
            self._seek(info.header_offset)
            blob = self._read_bytes(fixed + LOCAL_HEADER_SLACK + info.compress_size)
            if len(blob) < fixed:
                return None
            header = struct.unpack_from(zipfile.structFileHeader, blob)
            if header[zipfile._FH_SIGNATURE] != zipfile.stringFileHeader:
                return None
            name_length = header[zipfile._FH_FILENAME_LENGTH]
            start = fixed + name_length + header[zipfile._FH_EXTRA_FIELD_LENGTH]
            name = blob[fixed : fixed + name_length]
            if name.decode("utf-8" if info.flag_bits & 0x800 else "cp437") != info.orig_filename:
                return None  # zipfile: "File name in directory and header differ"
            packed = blob[start : start + info.compress_size]
            if len(packed) < info.compress_size:  # a long name or extra field
                self._seek(info.header_offset + start + len(packed))
                packed += self._read_bytes(info.compress_size - len(packed))
            if len(packed) != info.compress_size:
                return None
            data = _inflate(info, packed)
        except (zlib_ng.error, lzma.LZMAError, EOFError, OSError, ValueError):
            # bz2 raises OSError on bad data; ValueError covers a name that does not decode.
            return None
        if len(data) != info.file_size or zlib_ng.crc32(data) != info.CRC:
            return None
        return data


def _inflate(info, packed):
    """A member's data, never more than its declared size plus one byte (checked after)."""
    method, limit = info.compress_type, info.file_size + 1
    if method == zipfile.ZIP_STORED:
        return packed
    if method == zipfile.ZIP_DEFLATED:
        return zlib_ng.decompressobj(-15).decompress(packed, limit)
    if method == zipfile.ZIP_BZIP2:
        return bz2.BZ2Decompressor().decompress(packed, limit)
    # ZIP_LZMA (the only other method let through): zipfile's reader of its header.
    return zipfile.LZMADecompressor().decompress(packed)


class open_archive:
    """``with open_archive(fileobj) as archive:`` — check an uploaded archive (a seekable
    binary file object) from its directory and open it for reading, or raise DomainError
    with one of the codes above. `limits` overrides settings.PHOTO_INTAKE_LIMITS."""

    def __init__(self, fileobj, *, limits=None):
        self.fileobj = fileobj
        self.limits = _limits(limits)

    def __enter__(self):
        fileobj, limits = self.fileobj, self.limits
        size = _size_of(fileobj)
        if size > limits["max_archive_bytes"]:
            raise _refuse(
                _("压缩包超过 %(mb)d MB 的上限；请分成几个压缩包上传。")
                % {"mb": limits["max_archive_bytes"] // MiB},
                "archive_too_large",
            )
        directory = _count_directory(fileobj, limits)
        if not _check_entries(iter_directory(fileobj, *directory), size, limits):
            raise _refuse(_("压缩包中没有任何文件。"), "empty")
        return PhotoArchive(fileobj, directory)

    def __exit__(self, *exc):
        return False
