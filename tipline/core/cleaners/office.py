"""Office documents: Office Open XML (docx, xlsx, pptx and their macro and template
variants) and OpenDocument (odt, ods, odp). Both are ZIP archives of XML parts; each part
is rewritten as text, so that the rest of the document stays byte for byte as it was.

Removed: document properties (author, company, manager, template, editing time, custom
properties), the names, initials, ids and dates of comment and tracked-change authors,
revision ids (rsid), absolute paths the file was saved under, printer settings and the
thumbnail picture of the first page. Pictures inside (a phone photo pasted into a report)
are cleaned as pictures are; one that cannot be is kept as it was, and the note says so."""

import io
import re
import zipfile

from tipline.core.cleaners import CannotClean, gettext_noop

NOTE = gettext_noop(
    "author, company, editing history, comment and change authors, printer settings and preview picture were "
    "removed; names or details in the text itself are not"
)
MAX_PARTS = 10_000
MAX_UNPACKED_BYTES = 1024**3  # an archive that claims more is refused (a ZIP bomb)

EMPTY_OOXML_PROPERTIES = {
    "docProps/core.xml": b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cp:coreProperties '
    b'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    b'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
    b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>',
    "docProps/app.xml": b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties '
    b'xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
    b'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"/>',
    "docProps/custom.xml": b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties '
    b'xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
    b'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"/>',
}
EMPTY_ODF_META = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-meta '
    b'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" office:version="1.2"><office:meta/>'
    b"</office:document-meta>"
)
# Parts dropped whole (their relationships go too): first-page pictures and printer settings.
DROPPED_PARTS = re.compile(r"(^|/)(thumbnail\.[a-z]+|printerSettings\d*\.bin)$", re.IGNORECASE)
# Attributes that name a person or a moment, whatever their namespace prefix: emptied or dropped.
PERSON_ATTRIBUTES = re.compile(rb'(\s(?:[\w.]+:)?)(author|initials|userId|providerId|dateUtc|date)="[^"]*"')
# Parts that list people (comment authors, co-authors, revision users), where names are `name=`
# or `displayName=` (elsewhere those name sheets and tables, and stay).
PEOPLE_PARTS = re.compile(r"(^|/)(people|persons?/person\w*|authors|commentAuthors|revisions/revisionHeaders)\.xml$")
PEOPLE_NAMES = re.compile(rb'(\s(?:[\w.]+:)?)(displayName|userName|name)="[^"]*"')
# Revision ids (they tie edits of one editing session together, across documents).
REVISION_IDS = re.compile(rb'\s[\w.]+:rsid\w*="[0-9A-Fa-f]*"')
REVISION_ID_LIST = re.compile(rb"<w:rsids>.*?</w:rsids>|<w:rsids/>", re.DOTALL)
ABSOLUTE_PATHS = re.compile(
    rb"<mc:AlternateContent[^>]*>(?:(?!</mc:AlternateContent>).)*?x15ac:absPath.*?</mc:AlternateContent>|<x15ac:absPath[^>]*/>",
    re.DOTALL,
)
AUTHOR_ELEMENTS = re.compile(rb"(<(?:author|dc:creator|dc:date|meta:initial-creator|meta:creation-date)>)[^<]*(</)")
PRINTER_ITEMS = re.compile(
    rb'(<config:config-item config:name="(?:PrinterName|PrinterSetup)"[^>]*>)[^<]*(</config:config-item>)'
)


PICTURE_KINDS = {
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".png": "PNG",
    ".gif": "GIF",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".webp": "WEBP",
}
PICTURES_KEPT = gettext_noop(
    "author, company, editing history, comment and change authors, printer settings and preview picture were "
    "removed, but some pictures inside could not be cleaned; names or details in the text itself are not"
)


def clean(data: bytes, max_pixels: int) -> tuple[bytes, str]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
            if len(parts) > MAX_PARTS or sum(part.file_size for part in parts) > MAX_UNPACKED_BYTES:
                raise CannotClean("the archive unpacks to too much")
            names = {part.filename for part in parts}
            if "[Content_Types].xml" in names:
                return _rewrite(archive, parts, _clean_ooxml_part, max_pixels)
            if "mimetype" in names and archive.read("mimetype").startswith(b"application/vnd.oasis.opendocument"):
                return _rewrite(archive, parts, _clean_odf_part, max_pixels)
            raise CannotClean("it is a ZIP archive, not an Office or OpenDocument file")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError) as error:
        raise CannotClean(f"the archive could not be read: {error.__class__.__name__}") from None


def _rewrite(archive: zipfile.ZipFile, parts: list[zipfile.ZipInfo], clean_part, max_pixels: int) -> tuple[bytes, str]:
    dropped = {part.filename for part in parts if DROPPED_PARTS.search(part.filename)}
    pictures_kept = False
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as cleaned:
        for part in parts:
            if part.filename in dropped:
                continue
            content = archive.read(part)
            if part.filename.endswith((".xml", ".rels")):
                content = clean_part(part.filename, content, dropped)
            elif (kind := PICTURE_KINDS.get("." + part.filename.rsplit(".", 1)[-1].lower())) is not None:
                content, picture_cleaned = _picture(content, kind, max_pixels)
                pictures_kept |= not picture_cleaned
            copy = zipfile.ZipInfo(part.filename, date_time=(1980, 1, 1, 0, 0, 0))
            copy.compress_type = part.compress_type  # ODF's "mimetype" must stay stored, first
            copy.external_attr = 0o644 << 16
            cleaned.writestr(copy, content)
    return output.getvalue(), PICTURES_KEPT if pictures_kept else NOTE


def _picture(content: bytes, kind: str, max_pixels: int) -> tuple[bytes, bool]:
    from tipline.core.cleaners import TooManyPixels, images

    try:
        return images.clean(content, kind, max_pixels)[0], True
    except (CannotClean, TooManyPixels):
        return content, False


def _clean_ooxml_part(name: str, content: bytes, dropped: set[str]) -> bytes:
    if name in EMPTY_OOXML_PROPERTIES:
        return EMPTY_OOXML_PROPERTIES[name]
    if name.endswith(".rels"):
        return _without_relationships_to(content, dropped)
    if name == "[Content_Types].xml":
        return content
    content = PERSON_ATTRIBUTES.sub(_emptied, content)
    content = REVISION_IDS.sub(b"", content)
    content = REVISION_ID_LIST.sub(b"", content)
    content = ABSOLUTE_PATHS.sub(b"", content)
    if PEOPLE_PARTS.search(name):
        content = PEOPLE_NAMES.sub(rb'\1\2=""', content)
    return AUTHOR_ELEMENTS.sub(rb"\1\2", content)


def _clean_odf_part(name: str, content: bytes, dropped: set[str]) -> bytes:
    if name == "meta.xml":
        return EMPTY_ODF_META
    if name == "META-INF/manifest.xml":
        return re.sub(rb'<manifest:file-entry[^>]*manifest:full-path="Thumbnails/[^"]*"[^>]*/>', b"", content)
    content = AUTHOR_ELEMENTS.sub(rb"\1\2", content)
    return PRINTER_ITEMS.sub(rb"\1\2", content)


def _emptied(match: re.Match) -> bytes:
    prefix, attribute = match.group(1), match.group(2)
    return b"" if attribute in (b"date", b"dateUtc", b"initials") else prefix + attribute + b'=""'


def _without_relationships_to(content: bytes, dropped: set[str]) -> bytes:
    basenames = {name.rsplit("/", 1)[-1].encode() for name in dropped}

    def keep(match: re.Match) -> bytes:
        target = re.search(rb'Target="([^"]*)"', match.group(0))
        return b"" if target and target.group(1).rsplit(b"/", 1)[-1] in basenames else match.group(0)

    return re.sub(rb"<Relationship\b[^>]*/>", keep, content)
