"""Images: JPEG (MPO, the phone's JPEG with a second picture, included), PNG, WebP, GIF,
TIFF and HEIC/HEIF (written back as JPEG). Each is decoded and written anew with no metadata at all (EXIF with
GPS and camera, XMP, IPTC, comments, text chunks, ICC profile, thumbnails, the MPO's second
picture), turned upright first so that dropping the orientation tag changes nothing."""

import io

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from tipline.core.cleaners import CannotClean, TooManyPixels, gettext_noop

NOTE = gettext_noop(
    "location, camera, dates and other hidden details were removed; what the picture itself shows "
    "(faces, text, places) is not changed"
)
# Pillow's name of what it opened, for each kind recognised from the file's first bytes.
FORMATS = {
    "JPEG": {"JPEG", "MPO"},
    "PNG": {"PNG"},
    "WEBP": {"WEBP"},
    "GIF": {"GIF"},
    "TIFF": {"TIFF"},
    "HEIF": {"HEIF"},
}
# HEIC is written as JPEG: encoding HEVC again takes about 16 s of CPU for a 12-megapixel
# photo here, JPEG half a second, and every recipient's computer opens a JPEG.
SAVE_AS = {"MPO": "JPEG", "HEIF": "JPEG"}
QUALITY = {"JPEG": {"quality": 95}, "WEBP": {"quality": 95}}


def clean(data: bytes, kind: str, max_pixels: int) -> tuple[bytes, str]:
    if kind == "HEIF":
        from pillow_heif import register_heif_opener

        register_heif_opener()
    try:
        with Image.open(io.BytesIO(data)) as image:  # reads the header only
            if image.format not in FORMATS[kind]:
                raise CannotClean(f"it is not really a {kind} image")
            if image.width * image.height > max_pixels:
                raise TooManyPixels()
            return _rewritten(image, SAVE_AS.get(image.format, image.format)), NOTE
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError, EOFError) as error:
        raise CannotClean(f"the image could not be read: {error.__class__.__name__}") from None


def _rewritten(image: Image.Image, save_as: str) -> bytes:
    frames = [_bare(frame) for frame in _frames_to_keep(image)]
    if save_as == "JPEG" and frames[0].mode not in ("RGB", "L", "CMYK"):
        frames = [frame.convert("RGB") for frame in frames]
    output = io.BytesIO()
    options: dict[str, object] = dict(QUALITY.get(save_as, {}))
    if len(frames) > 1:
        options |= {"save_all": True, "append_images": frames[1:]}
        if "duration" in image.info:
            options["duration"] = [
                frame.info.get("duration", image.info["duration"]) for frame in ImageSequence.Iterator(image)
            ]
        if "loop" in image.info:
            options["loop"] = image.info["loop"]
    frames[0].save(output, format=save_as, **options)
    return output.getvalue()


def _frames_to_keep(image: Image.Image) -> list[Image.Image]:
    if image.format == "MPO":  # the second picture is a preview or a depth map, with its own EXIF
        image.seek(0)
        return [image.copy()]
    return [frame.copy() for frame in ImageSequence.Iterator(image)]


def _bare(frame: Image.Image) -> Image.Image:
    """A copy with the pixels only: upright, and no info, EXIF or text left to write."""
    upright = ImageOps.exif_transpose(frame) or frame
    bare = Image.frombytes(upright.mode, upright.size, upright.tobytes())
    if upright.mode in ("P", "PA") and (palette := upright.getpalette()) is not None:
        bare.putpalette(palette)
    bare.info = {key: value for key, value in frame.info.items() if key in ("duration", "transparency", "loop")}
    return bare
