"""Delivered photos as photographers make them, built with Pillow in memory for the tests
(and the photo bench): portraits on a coloured background, and zip archives of them —
well-formed ones and hostile ones."""

import io
import random
import stat
import string
import struct
import zipfile

from PIL import Image, ImageDraw

BLUE = (100, 197, 255)


def portrait(size=(480, 640), background=BLUE, seed=0, noise=0.04):
    """A head-and-shoulders picture: the background shows above the head and in the top
    corners; the shoulders fill the bottom corners. `noise` (0–1) is blended in from a
    seeded random source: each seed gives different bytes, and more noise a larger file."""
    w, h = size
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    draw.ellipse((w * 0.3, h * 0.12, w * 0.7, h * 0.55), fill=(232, 196, 172))
    draw.rectangle((0, h * 0.7, w, h), fill=(35, 35, 60))
    if noise:
        grain = Image.frombytes("L", size, random.Random(seed).randbytes(w * h)).convert("RGB")
        image = Image.blend(image, grain, noise)
    return image


def jpeg(
    size=(480, 640),
    mode="RGB",
    dpi=(300, 300),
    background=BLUE,
    quality=85,
    seed=0,
    noise=0.04,
    **save,
):
    """JPEG bytes. The defaults meet the standard (480 × 640, RGB, 300 dpi, about 30 KB,
    light blue); `quality` moves the file size (20 → under 20 KB, 98 → over 40 KB), `dpi`
    None leaves the resolution out."""
    image = portrait(size, background, seed, noise)
    if mode != "RGB":
        image = image.convert(mode)
    if dpi is not None:
        save["dpi"] = dpi
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=quality, **save)
    return buf.getvalue()


def png(size=(480, 640), mode="RGBA", seed=0):
    buf = io.BytesIO()
    portrait(size, seed=seed).convert(mode).save(buf, "PNG")
    return buf.getvalue()


def declare_size(data, width, height):
    """A JPEG whose frame header claims another size (a decompression bomb costs a few
    bytes: the header is all a decoder trusts before it allocates)."""
    i = 2
    while True:
        marker = data[i + 1]
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        if 0xC0 <= marker <= 0xC2:
            return data[: i + 5] + struct.pack(">HH", height, width) + data[i + 9 :]
        i += 2 + length


def zip_bytes(members, compression=zipfile.ZIP_DEFLATED):
    """A zip of (name, bytes) pairs (or a dict), names stored as zipfile writes them."""
    items = members.items() if isinstance(members, dict) else members
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in items:
            zf.writestr(name, data)
    return buf.getvalue()


def zip_file(members, compression=zipfile.ZIP_DEFLATED):
    """The same as an open file object, as the service receives an upload."""
    return io.BytesIO(zip_bytes(members, compression))


def zip_with_raw_names(members):
    """A zip whose names are the given raw bytes without the UTF-8 flag, as Chinese Windows
    writes GBK names: `members` is [(name bytes, data)]."""
    letters = random.Random(len(members))
    placeholders = [
        ("".join(letters.choices(string.ascii_letters, k=len(raw))), raw, data)
        for raw, data in members
    ]
    out = zip_bytes([(p, data) for p, _raw, data in placeholders])
    for placeholder, raw, _data in placeholders:
        out = out.replace(placeholder.encode(), raw)
    return out


def zip_with_symlink(target="/etc/passwd", name="link.jpg"):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        info = zipfile.ZipInfo(name)
        info.create_system = 3
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, target)
    return buf.getvalue()


def zip_encrypted(members):
    """A zip whose members say they are encrypted (the flag, as a password tool sets it)."""
    data = bytearray(zip_bytes(members))
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            data[start + offset] |= 0x01
            start += 4
    return bytes(data)


def zip_overlapping(name_a="a.jpg", name_b="b.jpg", data=None):
    """Two directory entries sharing one member's packed data (an overlapping zip bomb)."""
    data = data if data is not None else random.Random(0).randbytes(100_000)
    assert len(name_a) == len(name_b)
    raw = zip_bytes([(name_a, data)])
    cd = raw.find(b"PK\x01\x02")
    end = raw.find(b"PK\x05\x06")
    entry = raw[cd:end]
    twin = entry.replace(name_a.encode(), name_b.encode())
    eocd = bytearray(raw[end:])
    struct.pack_into("<HHLL", eocd, 8, 2, 2, len(entry) * 2, cd)
    return raw[:cd] + entry + twin + bytes(eocd)


def corrupt_member(archive, name):
    """The archive with one byte of a stored member's data flipped (its CRC no longer
    matches)."""
    data = bytearray(archive)
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        info = zf.getinfo(name)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + info.compress_size // 2] ^= 0xFF
    return bytes(data)
