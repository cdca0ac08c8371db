"""Delivered photos on an S3-compatible object store (issue 15, point 5), against moto's S3
server started on loopback for this test run.

The storage under test is the one capture_portal/settings.py builds from PHOTO_STORAGE=s3
and the PHOTO_S3_* variables (the settings module is run again with them), so these tests
check the settings block as well as django-storages' backend.
"""

import hashlib
import io
import runpy
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime

import boto3
import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.test import override_settings
from django.urls import reverse
from moto.server import ThreadedMotoServer
from PIL import Image
from storages.backends.s3 import S3Storage

import capture_portal.settings as settings_module
from sessions.models import Photo

BUCKET = "capture-photos-test"
KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@pytest.fixture(scope="session")
def s3_endpoint():
    """moto's S3 server on a free loopback port with one empty bucket, for the whole run."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    bucket(endpoint).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


def bucket(endpoint):
    """A plain boto3 client, to look at the bucket without going through Django."""
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **KEYS)


@pytest.fixture(scope="session")
def s3_photos(s3_endpoint):
    """STORAGES["photos"] as the settings make it from the environment of an S3 deployment."""
    with pytest.MonkeyPatch.context() as mp:
        for name, value in {
            "PHOTO_STORAGE": "s3",
            "PHOTO_S3_BUCKET": BUCKET,
            "PHOTO_S3_ENDPOINT_URL": s3_endpoint,
            "PHOTO_S3_ACCESS_KEY": "testing",
            "PHOTO_S3_SECRET_KEY": "testing",
            "PHOTO_S3_REGION": "us-east-1",
        }.items():
            mp.setenv(name, value)
        mp.delenv("PHOTO_S3_PREFIX", raising=False)
        return runpy.run_path(settings_module.__file__)["STORAGES"]["photos"]


def jpeg(colour=(100, 197, 255)):
    """A 480 × 640 JPEG at 300 dpi, as the registry's standard wants."""
    out = io.BytesIO()
    Image.new("RGB", (480, 640), colour).save(out, "JPEG", quality=90, dpi=(300, 300))
    return out.getvalue()


def unique(prefix="photos/"):
    return f"{prefix}{uuid.uuid4().hex}.jpg"


def object_key(s3_photos, name):
    return f"{s3_photos['OPTIONS']['location']}/{name}"


def http_get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_settings_build_a_private_s3_storage_from_the_environment(s3_photos, s3_endpoint):
    storage = storages.create_storage(s3_photos)

    assert isinstance(storage, S3Storage)
    assert storage.bucket_name == BUCKET
    assert storage.endpoint_url == s3_endpoint
    assert storage.region_name == "us-east-1"
    assert storage.location == "photos"
    assert storage.default_acl == "private"
    assert storage.file_overwrite is False
    assert storage.querystring_auth is True


def test_a_jpeg_survives_save_open_and_delete(s3_photos, s3_endpoint):
    storage = storages.create_storage(s3_photos)
    data = jpeg()

    name = storage.save(unique(), ContentFile(data))

    assert storage.exists(name)
    assert storage.size(name) == len(data)
    with storage.open(name) as f:
        assert f.read() == data
    stored = bucket(s3_endpoint).get_object(Bucket=BUCKET, Key=object_key(s3_photos, name))
    assert stored["Body"].read() == data
    storage.delete(name)
    assert not storage.exists(name)


def test_a_second_save_under_the_same_name_never_replaces_the_first(s3_photos):
    storage = storages.create_storage(s3_photos)
    first, second = jpeg((100, 197, 255)), jpeg((255, 255, 255))
    name = unique()

    kept = storage.save(name, ContentFile(first))
    other = storage.save(name, ContentFile(second))

    assert kept == name and other != name
    with storage.open(kept) as f:
        assert f.read() == first
    with storage.open(other) as f:
        assert f.read() == second


def test_a_photo_saved_through_one_server_is_read_and_deleted_through_the_other(s3_photos):
    # Two storages built separately stand for the same settings on two app servers: each
    # has its own boto3 session and connection, and nothing but the bucket in common.
    server_a = storages.create_storage(s3_photos)
    server_b = storages.create_storage(s3_photos)
    assert server_a is not server_b
    data = jpeg()

    name = server_a.save(unique(), ContentFile(data))

    assert server_b.exists(name)
    with server_b.open(name) as f:
        assert hashlib.sha256(f.read()).hexdigest() == hashlib.sha256(data).hexdigest()
    server_b.delete(name)
    assert not server_a.exists(name)


def test_a_stored_photo_has_no_public_address(s3_photos, s3_endpoint):
    storage = storages.create_storage(s3_photos)
    data = jpeg()
    name = storage.save(unique(), ContentFile(data))
    key = object_key(s3_photos, name)

    # The object's ACL grants nobody but its owner.
    acl = bucket(s3_endpoint).get_object_acl(Bucket=BUCKET, Key=key)
    assert [g["Permission"] for g in acl["Grants"]] == ["FULL_CONTROL"]
    assert acl["Grants"][0]["Grantee"]["Type"] == "CanonicalUser"
    # An unsigned GET of the object is refused (moto enforces the private ACL on anonymous
    # requests; a public-read object answers 200 there).
    assert http_get(f"{s3_endpoint}/{BUCKET}/{key}")[0] == 403
    # The only address storage.url() gives is presigned (SigV4), short-lived.
    # moto does not verify signatures, so a wrong one is not tested here.
    url = storage.url(name)
    assert "X-Amz-Signature=" in url
    assert "X-Amz-Expires=3600" in url
    assert http_get(url) == (200, data)


@pytest.fixture
def photo_fields_on_s3(s3_photos):
    """STORAGES["photos"] overridden to the object store: the photo FileFields follow
    (sessions.models.photo_storage looks the storage up again after the change)."""
    with override_settings(STORAGES={**settings.STORAGES, "photos": s3_photos}):
        yield storages["photos"]


def test_the_photo_fields_follow_an_override_of_storages(s3_photos):
    with override_settings(STORAGES={**settings.STORAGES, "photos": s3_photos}):
        assert isinstance(storages["photos"], S3Storage)  # the handler was reset
        assert isinstance(Photo._meta.get_field("file").storage, S3Storage)
    assert not isinstance(Photo._meta.get_field("file").storage, S3Storage)


def store_photo(capture, data):
    """A delivered photo of `capture`, saved through Photo.file."""
    photo = Photo(
        capture=capture,
        token=uuid.uuid4().hex,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        width=480,
        height=640,
        mode="RGB",
        dpi=300,
        source_name="202201010001.jpg",
        received_at=datetime(2026, 6, 1, 8, 0, tzinfo=UTC),
    )
    photo.file.save("202201010001.jpg", ContentFile(data), save=True)
    return photo


def test_a_photo_model_file_is_stored_in_the_bucket(
    student, photo_fields_on_s3, s3_photos, s3_endpoint
):
    data = jpeg()

    photo = store_photo(student, data)

    photo.refresh_from_db()
    assert photo.file.name.startswith("photos/")
    stored = bucket(s3_endpoint).get_object(
        Bucket=BUCKET, Key=object_key(s3_photos, photo.file.name)
    )
    assert stored["Body"].read() == data
    # Read back through a storage of its own, as another server would.
    with storages.create_storage(s3_photos).open(photo.file.name) as f:
        assert f.read() == data
    name = photo.file.name
    photo.file.delete(save=False)
    assert not photo_fields_on_s3.exists(name)


def test_a_missing_object_opens_as_file_not_found(s3_photos):
    # The photo view answers 404 on FileNotFoundError, as for the local directory.
    with pytest.raises(FileNotFoundError):
        storages.create_storage(s3_photos).open(unique())


def test_the_photo_view_serves_a_photo_from_the_object_store(
    client, office_user, student, photo_fields_on_s3
):
    data = jpeg()
    photo = store_photo(student, data)
    url = reverse("photo", args=[photo.token])

    assert client.get(url).status_code == 404  # anonymous: as if there were no photo
    client.force_login(office_user)
    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content) == data
    response.close()
