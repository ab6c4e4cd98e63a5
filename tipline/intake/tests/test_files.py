"""Attachments: hidden details removed from images and PDFs before encryption, and the
tipster told what was cleaned; files readable by recipients only as ciphertext at rest."""

import html
import io

import pikepdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from tipline.core.attachments import file_chunks, submitted_files
from tipline.core.conversation import open_tip_for_recipient
from tipline.core.models import Channel, Tip
from tipline.intake.tests.helpers import post_tip

pytestmark = pytest.mark.django_db
SECRET = "Officer-Jane-Doe-device-4471"


def jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x013B] = SECRET  # Artist
    exif[0x0110] = "Phone X " + SECRET  # Model
    output = io.BytesIO()
    image.save(output, format="JPEG", exif=exif.tobytes(), comment=SECRET.encode())
    return output.getvalue()


def png_with_text() -> bytes:
    info = PngInfo()
    info.add_text("Author", SECRET)
    output = io.BytesIO()
    Image.new("RGB", (32, 32), (0, 90, 200)).save(output, format="PNG", pnginfo=info)
    return output.getvalue()


def webp_with_exif() -> bytes:
    exif = Image.Exif()
    exif[0x013B] = SECRET
    output = io.BytesIO()
    Image.new("RGB", (32, 32), (10, 200, 30)).save(output, format="WEBP", exif=exif.tobytes())
    return output.getvalue()


def pdf_with_metadata() -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    pdf.docinfo["/Author"] = SECRET
    pdf.docinfo["/Producer"] = "Office " + SECRET
    output = io.BytesIO()
    pdf.save(output)
    return output.getvalue()


def stored_files(recipient_keys) -> dict[str, tuple[bytes, str]]:
    user, private_key = recipient_keys
    tip = Tip.objects.get()
    tip_key = open_tip_for_recipient(tip, user, private_key)
    return {
        view.name: (b"".join(file_chunks(tip_key, tip.attachments.get(pk=view.id))), view.note)
        for view in submitted_files(tip, tip_key)
    }


@pytest.mark.parametrize(
    ("name", "make", "kind"),
    [("photo.jpg", jpeg_with_exif, "JPEG"), ("map.png", png_with_text, "PNG"), ("pic.webp", webp_with_exif, "WEBP")],
)
def test_images_lose_their_hidden_details_but_stay_images(client, recipient_keys, name, make, kind):
    original = make()
    assert SECRET.encode() in original

    response = post_tip(client, "general", {"answer-tip": "see picture"}, files=[SimpleUploadedFile(name, original)])

    assert (
        f'<strong dir="auto">{name}</strong>: location, camera, dates and other hidden details were removed'
        in html.unescape(response.content.decode())
    )
    data, note = stored_files(recipient_keys)[name]
    assert SECRET.encode() not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == kind and image.size in ((64, 48), (32, 32))
        assert not image.getexif()


def test_a_pdf_loses_its_document_information(client, recipient_keys):
    original = pdf_with_metadata()

    post_tip(client, "general", {"answer-tip": "see document"}, files=[SimpleUploadedFile("memo.pdf", original)])

    data, note = stored_files(recipient_keys)["memo.pdf"]
    assert SECRET.encode() not in data
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert len(pdf.pages) == 1 and "/Author" not in pdf.docinfo


def test_a_channel_that_keeps_evidence_stores_files_exactly_as_sent(client, recipient_keys):
    Channel.objects.filter(slug="general").update(keep_file_metadata=True)
    original = jpeg_with_exif()

    form = client.get("/c/general/").content.decode()
    response = post_tip(
        client, "general", {"answer-tip": "evidence"}, files=[SimpleUploadedFile("photo.jpg", original)]
    )

    assert "keeps files exactly as you send them" in form
    assert "kept exactly as sent: this channel keeps files as evidence" in response.content.decode()
    assert stored_files(recipient_keys)["photo.jpg"][0] == original


def test_other_files_are_kept_as_sent_and_the_tipster_is_told(client, recipient_keys):
    post = post_tip(
        client,
        "general",
        {"answer-tip": "notes"},
        files=[SimpleUploadedFile("notes.txt", b"plain notes, nothing hidden")],
    )

    assert "files of this kind are not cleaned; it is stored as sent" in post.content.decode()
    assert stored_files(recipient_keys)["notes.txt"][0] == b"plain notes, nothing hidden"


def test_a_file_that_only_pretends_to_be_an_image_is_kept_and_said_so(client, recipient_keys):
    fake = b"\xff\xd8\xff\xe0 this is not a real jpeg"

    response = post_tip(client, "general", {"answer-tip": "odd"}, files=[SimpleUploadedFile("odd.jpg", fake)])

    assert "could not be cleaned (the image could not be read" in response.content.decode()
    assert stored_files(recipient_keys)["odd.jpg"][0] == fake


def test_a_file_too_large_to_clean_is_stored_as_sent(client, recipient_keys, settings):
    settings.MAX_CLEANABLE_BYTES = 100
    original = jpeg_with_exif()

    response = post_tip(client, "general", {"answer-tip": "big"}, files=[SimpleUploadedFile("big.jpg", original)])

    assert "too large to clean; it is stored as sent" in response.content.decode()
    assert stored_files(recipient_keys)["big.jpg"][0] == original


def test_several_files_in_one_tip_are_each_readable(client, recipient_keys):
    uploads = [SimpleUploadedFile(f"part{number}.txt", f"part {number}".encode() * 50_000) for number in range(3)]

    post_tip(client, "general", {"answer-tip": "three parts"}, files=uploads)

    stored = stored_files(recipient_keys)
    assert Tip.objects.get().file_count == 3
    assert {name: data for name, (data, _) in stored.items()} == {
        f"part{number}.txt": f"part {number}".encode() * 50_000 for number in range(3)
    }


def blank_png(width: int, height: int) -> bytes:
    output = io.BytesIO()
    Image.new("1", (width, height)).save(output, format="PNG", optimize=True)
    return output.getvalue()


def test_an_image_with_more_pixels_than_the_cap_is_not_decoded_but_stored_as_sent(client, recipient_keys):
    # A few hundred KB that would decode to 81 megapixels (about 2 CPU-seconds and 600 MB to clean).
    bomb = blank_png(9000, 9000)
    assert len(bomb) < 300_000

    response = post_tip(client, "general", {"answer-tip": "huge"}, files=[SimpleUploadedFile("huge.png", bomb)])

    assert "too many pixels to clean; it is stored as sent" in response.content.decode()
    assert stored_files(recipient_keys)["huge.png"][0] == bomb


def test_cleaning_that_runs_past_its_time_limit_is_stopped_and_the_file_stored_as_sent(
    client, recipient_keys, settings
):
    settings.CLEANING_SECONDS = 0.2
    slow = io.BytesIO()
    Image.new("RGB", (5000, 5000), (1, 2, 3)).save(slow, format="PNG")  # under the pixel cap; half a second to clean
    slow = slow.getvalue()

    response = post_tip(client, "general", {"answer-tip": "slow"}, files=[SimpleUploadedFile("slow.png", slow)])

    assert "took too long to clean; it is stored as sent" in response.content.decode()
    assert stored_files(recipient_keys)["slow.png"][0] == slow


def test_stored_files_show_only_a_size_bucket_not_their_exact_size(client, recipient_keys):
    from django.conf import settings

    sizes = {"a.bin": 100_000, "b.bin": 100_300, "c.bin": 1}
    uploads = [SimpleUploadedFile(name, bytes([7]) * size) for name, size in sizes.items()]

    post_tip(client, "general", {"answer-tip": "three sizes"}, files=uploads)

    tip = Tip.objects.get()
    on_disk = {
        attachment.blob_name: (settings.BLOB_DIR / attachment.blob_name).stat().st_size
        for attachment in tip.attachments.all()
    }
    assert len(set(on_disk.values())) == 2  # 100,000 and 100,300 bytes land in one bucket
    assert min(on_disk.values()) > 16_000  # one byte is stored as large as a small document
    stored = stored_files(recipient_keys)
    assert {name: len(data) for name, (data, _) in stored.items()} == sizes


def test_a_tip_whose_files_find_every_cleaning_turn_taken_is_refused_at_once_with_its_text_kept(
    client, recipient_keys, settings
):
    from tipline.core import metadata
    from tipline.intake.tests.test_upload_leaks import blobs_on_disk

    with (
        metadata.cleaning_turn(settings.CLEANING_PARALLEL),
        metadata.cleaning_turn(settings.CLEANING_PARALLEL, "small"),
    ):
        busy = post_tip(
            client,
            "general",
            {"answer-tip": "Photos of the depot"},
            files=[SimpleUploadedFile("photo.jpg", jpeg_with_exif())],
        )
        text_only = post_tip(client, "general", {"answer-tip": "No files, just words"})
        not_to_clean = post_tip(
            client, "general", {"answer-tip": "A note"}, files=[SimpleUploadedFile("note.txt", b"plain")]
        )
    afterwards = post_tip(
        client, "general", {"answer-tip": "Photos again"}, files=[SimpleUploadedFile("photo.jpg", jpeg_with_exif())]
    )

    page = html.unescape(busy.content.decode())
    assert busy.status_code == 503 and busy.headers["Retry-After"] == "60"
    assert "Many files are being cleaned for other tipsters right now" in page and "Photos of the depot" in page
    assert (text_only.status_code, not_to_clean.status_code, afterwards.status_code) == (200, 200, 200)
    assert Tip.objects.count() == 3
    assert len(blobs_on_disk()) == 2  # the note and the cleaned photo sent afterwards; nothing of the refused tip


def test_a_small_photo_is_cleaned_while_large_images_hold_every_turn_of_theirs(client, recipient_keys, settings):
    from tipline.core import metadata

    settings.SMALL_CLEANING_PIXELS = 64 * 48  # one photo of jpeg_with_exif's size, not two
    with metadata.cleaning_turn(settings.CLEANING_PARALLEL):  # as a flood of large images holds it
        small = post_tip(
            client, "general", {"answer-tip": "One photo"}, files=[SimpleUploadedFile("photo.jpg", jpeg_with_exif())]
        )
        two = [SimpleUploadedFile(f"photo{number}.jpg", jpeg_with_exif()) for number in range(2)]
        too_many_pixels = post_tip(client, "general", {"answer-tip": "Two photos"}, files=two)
        not_measured = post_tip(
            client, "general", {"answer-tip": "A GIF"}, files=[SimpleUploadedFile("a.gif", gif_bytes())]
        )

    assert (small.status_code, too_many_pixels.status_code, not_measured.status_code) == (200, 503, 503)
    data, note = stored_files(recipient_keys)["photo.jpg"]
    assert SECRET.encode() not in data and note.startswith("location, camera, dates")


def test_the_turns_for_small_photos_are_bounded_too(client, recipient_keys, settings):
    from tipline.core import metadata

    with metadata.cleaning_turn(settings.CLEANING_PARALLEL, "small"):  # short work, but request threads are few
        busy = post_tip(
            client, "general", {"answer-tip": "One photo"}, files=[SimpleUploadedFile("photo.jpg", jpeg_with_exif())]
        )

    assert busy.status_code == 503 and Tip.objects.count() == 0


def test_an_animated_png_takes_the_turn_for_large_files_whatever_its_frame_size(client, recipient_keys, settings):
    from tipline.core import metadata

    animated = io.BytesIO()
    frames = [Image.new("RGB", (8, 8), (number, 0, 0)) for number in range(3)]
    frames[0].save(animated, format="PNG", save_all=True, append_images=frames[1:])
    with metadata.cleaning_turn(
        settings.CLEANING_PARALLEL
    ):  # each frame would be decoded: its header does not tell the cost
        busy = post_tip(
            client, "general", {"answer-tip": "Frames"}, files=[SimpleUploadedFile("a.png", animated.getvalue())]
        )

    assert busy.status_code == 503


def gif_bytes() -> bytes:
    output = io.BytesIO()
    Image.new("P", (8, 8)).save(output, format="GIF")
    return output.getvalue()


def test_a_follow_up_with_files_is_refused_at_once_while_every_cleaning_turn_is_taken(client, recipient_keys, settings):
    from tipline.core import metadata
    from tipline.core.models import Message
    from tipline.intake.tests.helpers import receipt_in

    receipt = receipt_in(post_tip(client, "general", {"answer-tip": "First"}))
    client.post("/check/", {"receipt": receipt})

    def by_the_api():
        files = [SimpleUploadedFile("b.jpg", jpeg_with_exif())]
        return client.post("/api/v1/followup/messages", {"receipt": receipt, "text": "By the API", "files": files})

    with (
        metadata.cleaning_turn(settings.CLEANING_PARALLEL),
        metadata.cleaning_turn(settings.CLEANING_PARALLEL, "small"),
    ):
        page = client.post(
            "/check/your-tip/",
            {"text": "Here is the photo", "files": [SimpleUploadedFile("photo.jpg", jpeg_with_exif())]},
        )
        api_busy = by_the_api()
    api_later = by_the_api()

    assert page.status_code == 503 and page.headers["Retry-After"] == "60"
    assert "Here is the photo" in html.unescape(page.content.decode())
    assert (api_busy.status_code, api_busy.json()["code"], api_busy.headers["Retry-After"]) == (
        503,
        "cleaning_busy",
        "60",
    )
    assert api_later.status_code == 201
    assert Message.objects.count() == 1
