"""Photo intake (issue 15): checking and matching a delivered archive of 5,000 photos of about
30 KB, against a raw loop over the same archive, in the same run.

    python -m bench.photos [--photos 5000] [--small 1000] [--roster 6000]

The archives are made in the run: 480 × 640 JPEGs of about 32 KB made by Pillow (40
pictures, each copy made unique by a comment segment), named by student number in unit
folders, by shooting number, and by ID tail in unit folders, packed with Deflate as file
managers pack them. The roster (6,000 photographed students) is the same for every archive.

* Baseline: `zipfile` reads each member and Pillow opens it and reads its size and mode.
  (A second, cheaper loop lets Pillow read only the header from the zip stream; it is shown
  for reference, without a target.)
* Ours: `photo_intake_preview` as the upload view calls it, with the archive as Django hands
  over a large upload (a temporary file on disk, moved into the photo storage): the
  directory checks, every member read (inflated with zlib-ng) and checked against the image
  standard (header, and the top band decoded for the background), SHA-256 per photo and of
  the archive, matching, the rows written through the ORM a batch of 500 files at a time,
  the judgements between files and the summary. Best of three runs each, interleaved.
  Target ≤ 1.5×.
* Floor (for reference, no target): the raw loop's reading (zipfile, the standard library's
  zlib) plus only what the issue itself asks for on every photo — the SHA-256 and the image
  standard's check — with no archive checks, matching, rows or database. With Pillow
  decoding the band it was 1.5–1.7× the raw loop, above the target before anything else
  was done; with libjpeg-turbo (simplejpeg) decoding from a prefix, about 1.3×. Ours can
  come under it: it inflates with zlib-ng.
* Memory: the preview's peak Python heap (tracemalloc) for the small and the large archive,
  same roster. Target: the large within 1.2× of the small.
* The commit (5,000 files written to the photo storage, 5,000 rows) is timed for reference;
  its peak Python heap is measured like the preview's (every photo stored anew), same target.
"""

import argparse
import io
import os
import shutil
import struct
import tempfile
import zipfile

from bench.common import peak_memory, print_table, row, setup_django, timed

# The photo storage of the run: a directory of its own, set before Django reads its settings
# (bench.all imports this module before any benchmark sets Django up).
WORKDIR = os.path.join(tempfile.gettempdir(), f"capture-bench-photos-{os.getpid()}")
os.environ.setdefault("PHOTO_ROOT", os.path.join(WORKDIR, "storage"))
os.environ.setdefault("PHOTO_STORAGE", "local")

BASES = 40


def make_roster(n):
    from sessions.models import Campaign, Capture, CaptureSession
    from units.models import Student, TrainingUnit

    campaign = Campaign.objects.get()
    session = CaptureSession.objects.filter(campaign=campaign).first()
    units = list(TrainingUnit.objects.order_by("pk"))
    students = Student.objects.bulk_create(
        (
            Student(
                student_no=f"2025{i:06d}",
                name=f"学生{i}",
                unit=units[i % len(units)],
                cohort=2025,
                id_tail=f"{(i // len(units)) % 10000:04d}",
            )
            for i in range(n)
        ),
        batch_size=2000,
    )
    Capture.objects.bulk_create(
        (
            Capture(
                student=s,
                campaign=campaign,
                session=session,
                status=Capture.Status.PHOTOGRAPHED,
                shooting_no=f"A{i:05d}",
            )
            for i, s in enumerate(students)
        ),
        batch_size=2000,
    )
    return campaign, session, units


def _name(i, units):
    unit = units[i % len(units)].name
    if i % 10 == 3:
        return f"A{i:05d}.jpg"  # by shooting number
    if i % 20 == 7:
        return f"{unit}/{(i // len(units)) % 10000:04d}.jpg"  # by ID tail in the unit folder
    return f"{unit}/2025{i:06d}.jpg"


def _unique(base, i):
    # A comment segment right after SOI: still a valid JPEG, a different SHA-256 per copy.
    return base[:2] + b"\xff\xfe" + struct.pack(">H", 10) + f"{i:08d}".encode() + base[2:]


def make_archive(n, units, path):
    from tests.photofiles import jpeg

    bases = [jpeg(seed=s) for s in range(BASES)]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(n):
            zf.writestr(_name(i, units), _unique(bases[i % BASES], i))
    return sum(len(b) for b in bases) / BASES


def raw_loop(path):
    from PIL import Image

    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            data = zf.read(info)
            with Image.open(io.BytesIO(data)) as image:
                image.size, image.mode  # noqa: B018


def raw_header_loop(path):
    from PIL import Image

    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            with zf.open(info) as stream, Image.open(stream) as image:
                image.size, image.mode  # noqa: B018


def floor_loop(path):
    """The raw loop's reading plus only the work the issue itself asks for on every photo:
    its SHA-256 (re-upload idempotent, one image for two students) and the image standard's
    check (sessions.photos.standard: header, and the top band decoded for the background) —
    no archive checks, matching, rows or database. What any intake with these checks costs
    at least."""
    import hashlib

    from sessions.photos.standard import check_image

    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            data = zf.read(info)
            hashlib.sha256(data).digest()
            check_image(data)


def upload_of(path):
    """The archive as Django hands a large upload to the view: on disk, already received."""
    from django.core.files.uploadedfile import TemporaryUploadedFile

    upload = TemporaryUploadedFile("交付.zip", "application/zip", os.path.getsize(path), None)
    with open(path, "rb") as src:
        shutil.copyfileobj(src, upload.file, 1024 * 1024)
    upload.file.flush()
    upload.seek(0)
    return upload


def preview(upload, campaign, session):
    from capture_portal.actors import Actor
    from sessions.photos.intake import photo_intake_preview

    return photo_intake_preview(
        actor=Actor.system("bench"),
        campaign_id=campaign.pk,
        session_id=session.pk,
        file_name=upload.name,
        fileobj=upload,
    )


def discard(intake):
    if intake.archive:
        intake.archive.delete(save=False)
    intake.delete()


def timed_preview(path, campaign, session):
    upload = upload_of(path)
    try:
        seconds, intake = timed(preview, upload, campaign, session)
    finally:
        upload.close()
    return seconds, intake


def peak_preview(path, campaign, session):
    upload = upload_of(path)
    result = {}
    try:
        mib = peak_memory(lambda: result.setdefault("intake", preview(upload, campaign, session)))
    finally:
        upload.close()
    discard(result["intake"])
    return mib


def peak_commit(path, campaign, session):
    """The commit's peak Python heap, storing every photo of the archive anew."""
    from capture_portal.actors import Actor
    from sessions.models import Photo
    from sessions.photos.intake import photo_intake_commit

    Photo.objects.all().delete()  # every file is then stored again, none "unchanged"
    upload = upload_of(path)
    try:
        intake = preview(upload, campaign, session)
    finally:
        upload.close()
    return peak_memory(
        lambda: photo_intake_commit(actor=Actor.system("bench"), intake_id=intake.pk)
    )


def run(photos=5_000, small=1_000, roster=6_000):
    setup_django("photos")
    from capture_portal.actors import Actor
    from sessions.photos.intake import photo_intake_commit

    os.makedirs(WORKDIR, exist_ok=True)
    try:
        campaign, session, units = make_roster(roster)
        big, little = os.path.join(WORKDIR, "big.zip"), os.path.join(WORKDIR, "small.zip")
        size = make_archive(photos, units, big)
        make_archive(small, units, little)
        mib = os.path.getsize(big) / 2**20
        # Warm-up: imports, translations, the file cache.
        discard(timed_preview(little, campaign, session)[1])
        raw_loop(little)
        raw_times, header_times, floor_times, ours_times = [], [], [], []
        intake = None
        for _ in range(3):
            raw_times.append(timed(raw_loop, big)[0])
            header_times.append(timed(raw_header_loop, big)[0])
            floor_times.append(timed(floor_loop, big)[0])
            seconds, last = timed_preview(big, campaign, session)
            ours_times.append(seconds)
            if intake is not None:
                discard(intake)
            intake = last
        checked = intake.summary
        commit_seconds, result = timed(
            photo_intake_commit, actor=Actor.system("bench"), intake_id=intake.pk
        )
        m_small = peak_preview(little, campaign, session)
        m_big = peak_preview(big, campaign, session)
        c_small = peak_commit(little, campaign, session)
        c_big = peak_commit(big, campaign, session)
    finally:
        shutil.rmtree(WORKDIR, ignore_errors=True)
    raw, header, floor = min(raw_times), min(header_times), min(floor_times)
    ours = min(ours_times)
    label = f"{photos:,} photos of {size / 1024:.0f} KB ({mib:.0f} MB zip)"
    print(
        f"photos: {checked['files']} files, {checked['take']} to store, "
        f"{checked['missing']} missing, {checked['with_faults']} with faults; "
        f"committed {result.created} in {commit_seconds:.2f} s"
    )
    return [
        row(
            f"photo intake preview, {label} (s)",
            ours,
            raw,
            "s",
            "≤ 1.5×",
            ("max", 1.5),
        ),
        row(
            "  floor: zipfile read + SHA-256 + the standard's check",
            floor,
            raw,
            "s",
            "info",
        ),
        row(
            "  same, vs a header-only loop (Pillow on the zip stream)",
            ours,
            header,
            "s",
            "info",
        ),
        row(
            f"photo intake commit, {photos:,} photos stored (s) vs raw loop",
            commit_seconds,
            raw,
            "s",
            "info",
        ),
        row(
            f"photo intake peak MiB, {photos:,} vs {small:,} photos",
            m_big,
            m_small,
            "MiB",
            "≤ 1.2×",
            ("max", 1.2),
        ),
        row(
            f"photo intake commit peak MiB, {photos:,} vs {small:,} photos",
            c_big,
            c_small,
            "MiB",
            "≤ 1.2×",
            ("max", 1.2),
        ),
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=5_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--roster", type=int, default=6_000)
    args = parser.parse_args()
    print_table(run(args.photos, args.small, args.roster), "Photo intake: preview time and memory")
