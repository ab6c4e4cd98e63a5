"""PDF, through pikepdf (qpdf): the document information and XMP (on the catalog and on
any object), page-piece data (/PieceInfo, /LastModified), annotation authors, dates and
ids, embedded files' dates and descriptions, every JavaScript action, and the original file
identifier (a new one is derived from the cleaned content) are removed."""

import io

import pikepdf

from tipline.core.cleaners import CannotClean, gettext_noop

NOTE = gettext_noop(
    "author, dates, document ID, editing data, comment authors, embedded-file details and scripts were removed; "
    "names or details in the text itself are not"
)
# On any dictionary: metadata streams and application data that name people, tools and times.
DROP_EVERYWHERE = ("/Metadata", "/PieceInfo", "/LastModified")
# On annotations (comments, highlights, stamps): who made them, when, and their ids.
DROP_FROM_ANNOTATIONS = ("/T", "/M", "/CreationDate", "/NM")
# On file specifications and their parameters (embedded files).
DROP_FROM_FILES = ("/Desc", "/Params", "/CI")


def clean(data: bytes) -> tuple[bytes, str]:
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if pdf.is_encrypted:
                raise CannotClean("the PDF is password-protected")
            _scrub(pdf)
            output = io.BytesIO()
            pdf.save(output, deterministic_id=True)
            return output.getvalue(), NOTE
    except pikepdf.PasswordError:
        raise CannotClean("the PDF is password-protected") from None
    except (pikepdf.PdfError, ValueError, KeyError, TypeError) as error:
        raise CannotClean(f"the PDF could not be read: {error.__class__.__name__}") from None


def _scrub(pdf: pikepdf.Pdf) -> None:
    for key in ("/Info", "/ID"):  # a new identifier is derived from the cleaned content on saving
        if key in pdf.trailer:
            del pdf.trailer[key]
    root = pdf.Root
    for key in ("/OpenAction", "/AA"):
        if key in root and _is_script(root[key]):
            del root[key]
    names = root.get("/Names")
    if isinstance(names, pikepdf.Dictionary) and "/JavaScript" in names:
        del names["/JavaScript"]
    for item in pdf.objects:
        _scrub_tree(item)


def _scrub_tree(item) -> None:
    """An indirect object and the direct objects inside it (an annotation is often a direct
    dictionary in a page's array); indirect ones are reached through pdf.objects."""
    if isinstance(item, (pikepdf.Dictionary, pikepdf.Stream)):
        _scrub_dictionary(item)
        children = [item[key] for key in item.keys()]
    elif isinstance(item, pikepdf.Array):
        children = list(item)
    else:
        return
    for child in children:
        if isinstance(child, (pikepdf.Dictionary, pikepdf.Array)) and not child.is_indirect:
            _scrub_tree(child)


def _scrub_dictionary(item) -> None:
    for key in DROP_EVERYWHERE:
        if key in item:
            del item[key]
    kind = item.get("/Type")
    if kind == "/Annot" or "/Subtype" in item and "/Rect" in item:
        for key in DROP_FROM_ANNOTATIONS:
            if key in item:
                del item[key]
    if kind in ("/Filespec", "/EmbeddedFile") or "/EF" in item:
        for key in DROP_FROM_FILES:
            if key in item:
                del item[key]
    if "/AA" in item:
        del item["/AA"]  # additional actions on pages, fields and annotations run scripts on events
    for key in ("/A", "/Next"):
        if key in item and _is_script(item[key]):
            del item[key]
    if item.get("/S") == "/JavaScript" and "/JS" in item:
        del item["/JS"]  # a script action no longer pointed to: its text goes


def _is_script(action) -> bool:
    return isinstance(action, pikepdf.Dictionary) and (action.get("/S") == "/JavaScript" or "/JS" in action)
