"""The image standard's background check decodes the top band from a prefix of the file when
it can (sessions.photos.standard._decode_band): the answer must be the one the whole band
copy gives, whatever the file, and the prefix must fall back when it is too short."""

import dataclasses
import io
import random

import pytest
from PIL import Image

from sessions.photos import standard
from tests import photofiles as pf


def _whole(data):
    """The band decoded from the whole band copy (the way before the prefix)."""
    header = dataclasses.replace(standard._header(data), plain=False)
    return standard._decode_band(data, header)


def _band(data):
    return standard._decode_band(data, standard._header(data))


def _saved(image, **options):
    buf = io.BytesIO()
    image.save(buf, "JPEG", **options)
    return buf.getvalue()


def _noisy_top(rows=48, size=(480, 640)):
    """A picture whose top rows are noise and the rest one flat colour: nearly all of the
    scan is the band, far more than the prefix guesses."""
    image = Image.new("RGB", size, pf.BLUE)
    noise = random.Random(5).randbytes(size[0] * rows * 3)
    image.paste(Image.frombytes("RGB", (size[0], rows), noise), (0, 0))
    return image


FILES = {
    "standard": lambda: pf.jpeg(),
    "noisy": lambda: pf.jpeg(noise=0.6, seed=3),
    "quality-98": lambda: pf.jpeg(quality=98, seed=1),
    "quality-20": lambda: pf.jpeg(quality=20, seed=2),
    "4:4:4": lambda: pf.jpeg(subsampling=0),
    "4:2:2": lambda: pf.jpeg(subsampling=1),
    "odd-size": lambda: pf.jpeg(size=(483, 645), seed=4),
    "small": lambda: pf.jpeg(size=(40, 50)),
    "wide": lambda: pf.jpeg(size=(1200, 300)),
    "noisy-top": lambda: _saved(_noisy_top(), quality=90),
    "grey": lambda: pf.jpeg(mode="L"),
    "progressive": lambda: pf.jpeg(progressive=True),
    "restart-markers": lambda: _saved(pf.portrait(), quality=85, restart_marker_blocks=3),
}


@pytest.mark.parametrize("make", FILES.values(), ids=FILES.keys())
def test_the_band_from_a_prefix_is_the_band_from_the_whole_copy(make):
    data = make()
    pixels, width, rows = _band(data)
    assert (bytes(pixels), width, rows) == (bytes(_whole(data)[0]), *_whole(data)[1:])
    assert len(pixels) == 3 * width * rows


def _attempts(monkeypatch):
    """The decodes asked of simplejpeg: (strict, length of the data), in order."""
    import simplejpeg

    calls, real = [], simplejpeg.decode_jpeg

    def spy(data, **options):
        calls.append((options.get("strict", True), len(data)))
        return real(data, **options)

    monkeypatch.setattr(simplejpeg, "decode_jpeg", spy)
    return calls


def test_a_plain_photo_is_decoded_once_from_a_prefix(monkeypatch):
    data = pf.jpeg()
    calls = _attempts(monkeypatch)
    _band(data)
    ((strict, length),) = calls
    assert strict and length < len(data) // 4


def test_a_prefix_too_short_for_the_band_falls_back_to_the_whole_copy(monkeypatch):
    data = _saved(_noisy_top(), quality=90)
    calls = _attempts(monkeypatch)
    pixels, width, rows = _band(data)
    assert [strict for strict, _ in calls] == [True, False]
    assert calls[1][1] == len(data)
    # The fallback's answer: noise, not the flat colour a short prefix would have padded.
    assert len(set(pixels)) > 20


@pytest.mark.parametrize(
    "make",
    [FILES["progressive"], FILES["restart-markers"]],
    ids=["progressive", "restart-markers"],
)
def test_frames_whose_band_is_not_at_the_start_of_the_scan_skip_the_prefix(make, monkeypatch):
    data = make()
    assert not standard._header(data).plain
    calls = _attempts(monkeypatch)
    _band(data)
    assert [strict for strict, _ in calls] == [False]


def test_a_cut_file_is_still_unreadable():
    data = pf.jpeg()
    assert standard.check_image(data[: len(data) // 3]).faults == ["unreadable"]


@pytest.mark.parametrize(
    "data",
    [b"Photos delivered 2026-06-20\n", pf.png(size=(40, 50)), pf.jpeg()[:4000]],
    ids=["text", "small-png", "cut-jpeg"],
)
def test_a_file_that_is_no_usable_jpeg_gets_its_fault_and_no_size_warning(data):
    # "Smaller than 20 KB" says the photo was compressed too hard: beside "not a JPEG" or
    # "unreadable" it is noise (found on a readme.txt in a delivery).
    check = standard.check_image(data)
    assert not check.usable
    assert check.warnings == []
