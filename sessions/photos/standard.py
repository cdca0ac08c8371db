"""The registry's image standard for diploma registration photos, checked on every delivered
file (issue 15, point 2).

As schools publish it: JPEG, 480 × 640 pixels (3:4, portrait), 24-bit true colour, about
300 dpi, 20–40 KB, and for graduate diplomas a plain light-blue background (reference RGB
about (100, 197, 255)). The numbers are settings (``PHOTO_STANDARD``).

* Hard faults — the registry refuses the file: ``not_jpeg``, ``unreadable``,
  ``too_many_pixels`` (a decompression bomb: never decoded), ``wrong_size``, ``wrong_mode``
  (grayscale, CMYK, …).
* Warnings — worth a look, not a refusal: ``dpi``, ``too_small``, ``too_large``,
  ``background``.

What is read, and why so little: the marker segments give the format, size, colour mode
(the number of components, as Pillow reads it) and dpi (the JFIF segment; an Exif-only
resolution is read by Pillow); the background only needs the top of the picture. A
portrait's background is certain only above the head (the standard puts the top of the head
50–110 px below the top edge) and in the two top corners — the bottom corners are the
student's shoulders. So only a band at the top is decoded — 16 rows of 640, one row of
blocks with the usual 4:2:0 chroma subsampling — at 1/8 scale (libjpeg's DCT scaling: one
value per block): the frame header (SOF) of a copy of the file declares a picture that
short, and libjpeg-turbo (through simplejpeg) decodes it — from a prefix of the file when
it can (_decode_band). About 16 µs a photo, where Pillow's open and load of the same band
cost about 90 µs of per-image overhead (bench/photos.py). A truncated file is caught by
its missing end-of-image marker; damage further down the picture is not looked for.

Decompression bombs: the size comes from the frame header, and a picture of more than
PHOTO_INTAKE_LIMITS["max_pixels"] is refused before anything is decoded (Pillow's own
MAX_IMAGE_PIXELS, process-wide, is left alone and still guards its header reading).
"""

import io
import math
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from PIL import Image

FAULTS = ("not_jpeg", "unreadable", "too_many_pixels", "wrong_size", "wrong_mode")
# After these the file is not a picture that can be opened safely at all.
UNUSABLE = frozenset({"not_jpeg", "unreadable", "too_many_pixels"})
WARNINGS = ("dpi", "too_small", "too_large", "background")


def kb(n):
    """Bytes in KB for the standard's texts: whole when they are (20480 → "20"), else to
    one decimal place."""
    return f"{n / 1024:.1f}".removesuffix(".0")


def _numbers():
    standard = settings.PHOTO_STANDARD
    return {
        "width": standard["width"],
        "height": standard["height"],
        "dpi": standard["dpi"],
        "min_kb": kb(standard["min_bytes"]),
        "max_kb": kb(standard["max_bytes"]),
    }


def _filled(text):
    """A label whose numbers are the standard's (a setting), filled in each time it is shown,
    in the language active then: str(LABELS[code]) reads like any other lazy label."""
    return lazy(lambda: str(text) % _numbers(), str)()


LABELS = {
    "not_jpeg": _("不是 JPEG 格式的图片"),
    "unreadable": _("文件已损坏或不完整，无法读取"),
    "too_many_pixels": _("图片像素过多（可能是恶意构造的文件），未读取"),
    "wrong_size": _filled(_("尺寸不是 %(width)s × %(height)s 像素（宽 × 高）")),
    "wrong_mode": _("颜色模式不是 24 位真彩色（RGB）：灰度、CMYK 或带透明通道"),
    "dpi": _filled(_("分辨率不是约 %(dpi)s dpi，或未标注分辨率")),
    "too_small": _filled(_("文件小于 %(min_kb)s KB（压缩过度，画质可能不足）")),
    "too_large": _filled(_("文件大于 %(max_kb)s KB")),
    "background": _("背景颜色与标准浅蓝色相差较大，或背景不纯"),
}

# Start-of-frame markers (baseline, extended, progressive, lossless, arithmetic…); not
# C4 (DHT), C8 (reserved), CC (DAC).
_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_SOS, _EOI, _APP0, _APP1, _DRI = 0xDA, 0xD9, 0xE0, 0xE1, 0xDD
# Sequential (not progressive, not lossless) Huffman frames: the top band is at the start
# of the first scan.
_SEQUENTIAL = frozenset({0xC0, 0xC1})
# Rows sampled for the background: the top fortieth of the photo (16 rows of 640: the
# standard puts the top of the head at least 50 rows down), rounded up to whole rows of
# blocks (16 with 4:2:0 chroma subsampling).
_BAND_FRACTION = 40
_BLOCK = 16
_SCALE = 8


@dataclass
class ImageCheck:
    """What was found in one file: its fault and warning codes (see LABELS), and what the
    header says. `width`, `height`, `mode` are None when the file could not be read."""

    size: int
    faults: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    format: str = ""
    width: int | None = None
    height: int | None = None
    mode: str = ""
    dpi: int | None = None
    # The mean colour of the sampled region furthest from the reference, for the preview.
    background: tuple | None = None

    @property
    def usable(self):
        """A JPEG whose pixels can be read safely (it may still be the wrong size or mode)."""
        return not UNUSABLE.intersection(self.faults)


def labels(codes):
    """The translated labels of fault or warning codes, in order (unknown codes as they are),
    with the numbers of the standard as the settings give them."""
    return [LABELS.get(code, code) for code in codes]


@dataclass(frozen=True)
class _Header:
    """What the marker segments of a JPEG say, read without decoding anything."""

    height_at: int  # offset of the frame's height field (the band copy rewrites it)
    height: int
    width: int
    components: int
    scan: int  # offset of the first scan
    jfif_dpi: int | None  # the JFIF segment's density when given in dots per inch
    exif: bool  # an Exif segment, which may give the resolution instead
    # A sequential frame without restart markers: its top band can be decoded from the
    # start of its scan alone (_band_prefix).
    plain: bool = False


# Pillow's mode of a JPEG by its number of components (its JpegImagePlugin's rule).
_MODES = {1: "L", 3: "RGB", 4: "CMYK"}


def _header(data):
    """The `_Header` of a JPEG, from its marker segments; None when the markers do not lead
    to a frame and a scan."""
    if data[:2] != b"\xff\xd8":
        return None
    n = len(data)
    i = 2
    frame = None
    jfif_dpi, exif, sequential, restarts = None, False, False, False
    while i + 4 <= n:
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # parameterless markers
            i += 2
            continue
        length = (data[i + 2] << 8) | data[i + 3]
        if length < 2:
            return None
        if marker in _SOF:
            if length < 8 or i + 10 > n:
                return None
            height = (data[i + 5] << 8) | data[i + 6]
            width = (data[i + 7] << 8) | data[i + 8]
            frame = (i + 5, height, width, data[i + 9])
            sequential = marker in _SEQUENTIAL
        elif marker == _DRI:
            restarts = bool(length < 4 or i + 6 > n or data[i + 4] or data[i + 5])
        elif marker == _APP0 and data[i + 4 : i + 9] == b"JFIF\x00" and length >= 14:
            # Version (2 bytes), units (1: dots per inch), x and y density (as Pillow reads).
            if i + 14 <= n and data[i + 11] == 1:
                jfif_dpi = (data[i + 12] << 8) | data[i + 13]
        elif marker == _APP1 and data[i + 4 : i + 10] == b"Exif\x00\x00":
            exif = True
        elif marker == _SOS:
            if frame is None:
                return None
            plain = sequential and not restarts
            return _Header(*frame, scan=i, jfif_dpi=jfif_dpi, exif=exif, plain=plain)
        elif marker == _EOI:
            return None
        i += 2 + length
    return None


def _frame(data):
    """(offset of the frame's height field, height, width, offset of the first scan)."""
    header = _header(data)
    if header is None:
        return None
    return header.height_at, header.height, header.width, header.scan


def _band_rows(height):
    rows = -(-height // _BAND_FRACTION)
    return min(height, -(-rows // _BLOCK) * _BLOCK)


def _band(data, offset, height, end=None):
    """A copy of the JPEG (up to `end`) whose frame declares only the top band (see the
    module docstring)."""
    rows = _band_rows(height)
    if rows >= height:
        return data[:end]
    return data[:offset] + rows.to_bytes(2, "big") + data[offset + 2 : end]


# libjpeg's warning when bytes are skipped before a marker: for a prefix of a plain frame
# ending in our end-of-image marker, it comes only after every row of the band is decoded.
_SKIPPED_TO_END = re.compile(r"extraneous bytes before marker 0xd9\b")


def _band_prefix(header, size):
    """Where to cut the band copy of a plain frame: the segments, and about twice the
    band's share of the scan, plus 1 KB (the top is plain background and packs smaller
    than the average row). None when the frame is not plain or the cut would save little."""
    if not header.plain:
        return None
    rows = _band_rows(header.height)
    cut = header.scan + 2 * (size - header.scan) * rows // header.height + 1024
    return cut if cut < size * 3 // 4 else None


def _decode_band(data, header):
    """The band copy (_band) decoded at 1/8 scale by libjpeg-turbo (simplejpeg): (RGB bytes,
    width, rows).

    libjpeg, once the declared rows are decoded, reads on to the end-of-image marker: some
    30 KB of a 32 KB photo, about 17 µs of the 28 µs the decode took. So the band of a plain
    frame is first decoded from a prefix of the file (_band_prefix) closed by an
    end-of-image marker, strictly: libjpeg then reports the bytes it skips before that
    marker, which it can only do once every row is decoded, and the rows are in the buffer.
    Any other outcome (the prefix was too short, any other warning, a buffer of the wrong
    size) decodes the whole band copy as before, so the answer never depends on the cut."""
    import simplejpeg  # with numpy: loaded when the first photo is checked, not at start-up

    width, height = header.width, header.height
    options = {
        "colorspace": "RGB",
        "min_width": max(1, width // _SCALE),
        "min_height": 1,
        "fastdct": True,
        "fastupsample": True,
    }
    cut = _band_prefix(header, len(data))
    if cut is not None:
        head = _band(data, header.height_at, height, cut) + b"\xff\xd9"
        # libjpeg's 1/8 scale (the only one min_width allows): each side rounded up.
        w, rows = -(-width // _SCALE), -(-_band_rows(height) // _SCALE)
        pixels = bytearray(3 * w * rows)
        try:
            simplejpeg.decode_jpeg(head, buffer=pixels, strict=True, **options)
            return pixels, w, rows
        except ValueError as error:
            if _SKIPPED_TO_END.search(str(error)):
                return pixels, w, rows
    # Warnings are expected: the band copy's scan goes on past the rows it declares.
    band = _band(data, header.height_at, height)
    array = simplejpeg.decode_jpeg(band, strict=False, **options)
    rows, w = array.shape[:2]
    return array.tobytes(), w, rows


def _background(data, header):
    """The mean colour of the top-left and top-right corners (an eighth of the width each,
    the whole band) and of the middle half of the top edge (the band's upper half), from the
    band decoded at 1/8 scale (_decode_band): RGB whatever the file's colour space. Raises
    ValueError when libjpeg cannot decode it."""
    pixels, w, rows = _decode_band(data, header)  # a few hundred bytes: 1/8 scale
    corner = max(1, w // 8)
    regions = ((0, corner, rows), (w - corner, w, rows), (w // 4, w - w // 4, max(1, rows // 2)))
    return [_mean(pixels, w, *region) for region in regions]


def _mean(pixels, w, left, right, rows):
    """The mean colour of columns [left, right) of the first `rows` rows of RGB `pixels`
    (summed with strided slices, in C)."""
    total = [0, 0, 0]
    for y in range(rows):
        start, end = 3 * (y * w + left), 3 * (y * w + right)
        for k in range(3):
            total[k] += sum(pixels[start + k : end : 3])
    n = rows * (right - left)
    return tuple(round(t / n) for t in total)


def _dpi(info):
    dpi = info.get("dpi")
    if not dpi:
        return None
    try:
        x = float(dpi[0])
    except (TypeError, ValueError, IndexError):
        return None
    return round(x) if math.isfinite(x) and 0 < x < 100_000 else None


def check_image(data, *, standard=None, max_pixels=None):
    """Check one delivered file (bytes) against the image standard: an ImageCheck with the
    fault and warning codes found. Never raises for bad content.

    Reads the header, then decodes only the top band of the picture for the background
    (see the module's docstring). A picture of more than ``max_pixels`` (default
    PHOTO_INTAKE_LIMITS["max_pixels"]) is refused from its header, before any decoding:
    fault ``too_many_pixels``. `standard` defaults to settings.PHOTO_STANDARD."""
    standard = standard or settings.PHOTO_STANDARD
    if max_pixels is None:
        max_pixels = settings.PHOTO_INTAKE_LIMITS["max_pixels"]
    check = _check(data, standard, max_pixels)
    if not check.usable:
        # The size warnings judge a photo's compression: beside a file that is no usable
        # JPEG at all they are noise.
        check.warnings = [w for w in check.warnings if w not in _SIZE_WARNINGS]
    return check


_SIZE_WARNINGS = frozenset({"too_small", "too_large"})


def _check(data, standard, max_pixels):
    check = ImageCheck(size=len(data))
    if check.size < standard["min_bytes"]:
        check.warnings.append("too_small")
    elif check.size > standard["max_bytes"]:
        check.warnings.append("too_large")
    header = _header(data)
    if header is None:
        _not_jpeg(data, check, max_pixels)
        return check
    width, height = header.width, header.height
    check.format, check.width, check.height = "JPEG", width, height
    if width * height > max_pixels:
        check.faults.append("too_many_pixels")
        return check
    mode = _MODES.get(header.components)
    if not width or not height or mode is None or data.rfind(b"\xff\xd9", header.scan) == -1:
        # No end-of-image marker after the first scan (the file was cut short), or a number
        # of colour components no reader takes.
        check.faults.append("unreadable")
        return check
    check.mode = mode
    check.dpi = header.jfif_dpi if header.jfif_dpi else _exif_dpi(data) if header.exif else None
    if (width, height) != (standard["width"], standard["height"]):
        check.faults.append("wrong_size")
    if mode != "RGB":
        check.faults.append("wrong_mode")
        return _warn_dpi(check, standard)
    try:
        samples = _background(data, header)
    except Exception:  # noqa: BLE001 — any failure on hostile bytes is "unreadable"
        check.faults.append("unreadable")
        return check
    reference = standard["background"]
    distances = [math.dist(colour, reference) for colour in samples]
    if distances:
        worst = max(range(len(distances)), key=distances.__getitem__)
        check.background = tuple(samples[worst])
        if distances[worst] > standard["background_distance"]:
            check.warnings.append("background")
    return _warn_dpi(check, standard)


def _exif_dpi(data):
    """The resolution an Exif segment gives when no JFIF one does, as Pillow reads it (its
    header only, nothing decoded); None when unreadable."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return _dpi(image.info)
    except Exception:  # noqa: BLE001 — no resolution, not a fault of its own
        return None


def _warn_dpi(check, standard):
    if check.dpi is None or abs(check.dpi - standard["dpi"]) > standard["dpi_tolerance"]:
        check.warnings.insert(0, "dpi")
    return check


def _not_jpeg(data, check, max_pixels):
    """A file that is not a JPEG (or whose markers are broken): named by its format when
    Pillow recognises the header, never decoded."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            check.format = image.format or ""
            check.width, check.height = image.size
            check.mode = image.mode
    except Image.DecompressionBombError:
        check.faults.append("too_many_pixels")
        return
    except Exception:  # noqa: BLE001 — not an image at all
        pass
    if check.format in ("JPEG", "MPO") or data[:3] == b"\xff\xd8\xff":
        check.faults.append("unreadable")  # it starts as a JPEG, but its markers are broken
    else:
        check.faults.append("not_jpeg")
        if check.width and check.height and check.width * check.height > max_pixels:
            check.faults.append("too_many_pixels")
