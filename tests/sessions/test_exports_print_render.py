"""Annex 1 printed for real: LibreOffice turns the .xlsx into a PDF of one A4 page, in
Chinese and in English. `.ci/run` installs LibreOffice Calc, poppler and Carlito (a font
with Calibri's metrics, so that the page is laid out as Excel would); elsewhere the test is
skipped, with its reason, where they are not installed — but never in CI."""

import shutil
import subprocess

import pytest
from django.urls import reverse

from sessions.models import CaptureSession
from tests.conftest import IN_CI

pytestmark = pytest.mark.skipif(
    not (shutil.which("libreoffice") and shutil.which("pdfinfo")) and not IN_CI,
    reason="install libreoffice-calc, poppler-utils, fonts-crosextra-carlito to print",
)


def _pages(pdf):
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    lines = info.stdout.splitlines()
    return int(next(line.split()[1] for line in lines if line.startswith("Pages:")))


def test_annex_1_prints_on_one_a4_page_in_both_languages(client, office_user, notice, tmp_path):
    client.force_login(office_user)
    session = CaptureSession.objects.get()
    url = reverse("staff:schedule_xlsx", args=[session.pk])
    files = []
    for lang in ("zh-hans", "en"):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=lang)
        path = tmp_path / f"annex_{lang}.xlsx"
        path.write_bytes(b"".join(response.streaming_content))
        files.append(path)
    subprocess.run(
        [
            "libreoffice",
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            *map(str, files),
        ],
        capture_output=True,
        check=True,
        timeout=180,
    )
    for path in files:
        pdf = path.with_suffix(".pdf")
        assert _pages(pdf) == 1, pdf.name
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
        assert "(A4)" in info, pdf.name
