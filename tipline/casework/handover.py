"""Handing a tip over as a PDF, whole or as a redacted copy: a recipient leaves out parts
(answers, messages, notes, files) and blacks out passages (words or phrases, wherever they
occur, matched as tipline.casework.redaction says), and is told first of any passage that
matched nothing; the copy says on its first line that it is redacted and how much. The tip itself
is never changed. Built in memory with fpdf2 (HarfBuzz shaping, so Arabic and other scripts
join and run right to left) in the DejaVu fonts shipped with Tipline; each export is audited
before a byte goes out."""

from dataclasses import dataclass, field
from pathlib import Path

from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from tipline.audit.services import Action, record
from tipline.casework import redaction
from tipline.casework.services import OpenedTip
from tipline.core.templatetags.tipline_time import in_zone

FONTS = Path(__file__).parent / "fonts"
BLACKED_OUT = "█████"  # one width for every passage, so its length is not told either


@dataclass(frozen=True)
class Redaction:
    """What a copy leaves out: parts by their id (answer-KEY, message-N, note-N, file-UUID)
    and passages by their words, matched on normalised text (tipline.casework.redaction)."""

    parts: frozenset[str] = frozenset()
    passages: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.parts and not self.passages

    def black_out(self, text: str) -> tuple[str, int]:
        return redaction.black_out(text, self.passages, BLACKED_OUT)

    def unmatched(self, parts: list["Part"]) -> list[str]:
        """The passages found in none of the parts the copy keeps: a typo, or a name written
        another way, that the person should know of before the copy leaves their hands."""
        kept = [text for part in parts if part.id not in self.parts for text in (part.heading, part.text)]
        return redaction.unmatched(kept, self.passages)


@dataclass
class Part:
    id: str
    heading: str
    text: str


@dataclass
class Handover:
    parts: list[Part] = field(default_factory=list)
    parts_left_out: int = 0
    passages_blacked_out: int = 0


def parts_of(opened: OpenedTip) -> list[Part]:
    """Every part of a tip a recipient may leave out, in the order the PDF shows them."""
    zone = opened.tip.channel.time_zone
    parts = [
        Part(f"answer-{answer.key}", answer.label, answer.display if answer.is_filled else _("(empty)"))
        for answer in opened.answers
    ]
    parts += [
        Part(f"file-{view.id}", _("File"), f"{view.name} ({filesizeformat(view.size)}): {_(view.note)}")
        for view in opened.files
    ]
    for number, message in enumerate(opened.conversation, 1):
        author = _("Tipster") if message.author == "tipster" else (message.sender or _("Team"))
        files = "".join(f"\n{_('File')}: {view.name}" for view in message.files)
        parts.append(Part(f"message-{number}", f"{author} · {in_zone(message.sent_hour, zone)}", message.text + files))
    for number, note in enumerate(opened.notes, 1):
        parts.append(
            Part(
                f"note-{number}",
                f"{_('Internal note')} · {note.author} · {in_zone(note.written_hour, zone)}",
                note.text,
            )
        )
    return parts


def hand_over(user, opened: OpenedTip, parts: list[Part], redaction: Redaction) -> tuple[str, bytes]:
    """The PDF's file name and bytes of a tip the person opened (its `parts_of`); the export
    (and how much was left out) is audited first."""
    handover = _apply(parts, redaction)
    record(
        user.username,
        Action.TIP_EXPORTED,
        str(opened.tip.id),
        format="pdf",
        redacted=not redaction.is_empty,
        parts_left_out=handover.parts_left_out,
        passages_blacked_out=handover.passages_blacked_out,
    )
    suffix = "-redacted" if not redaction.is_empty else ""
    return f"tip-{opened.tip.reference}{suffix}.pdf", _pdf(opened, handover, redacted=not redaction.is_empty)


def _apply(parts: list[Part], redaction: Redaction) -> Handover:
    handover = Handover()
    for part in parts:
        if part.id in redaction.parts:
            handover.parts_left_out += 1
            continue
        text, found = redaction.black_out(part.text)
        heading, found_in_heading = redaction.black_out(part.heading)
        handover.passages_blacked_out += found + found_in_heading
        handover.parts.append(Part(part.id, heading, text))
    return handover


def _pdf(opened: OpenedTip, handover: Handover, redacted: bool) -> bytes:
    from fpdf import FPDF  # a third of a second to import: only when a PDF is made, not at every start

    tip = opened.tip
    document = FPDF(format="A4")
    document.set_title(f"Tip {tip.reference}")
    document.set_creator("Tipline")
    document.add_font("DejaVu", "", FONTS / "DejaVuSans.ttf")
    document.add_font("DejaVu", "B", FONTS / "DejaVuSans-Bold.ttf")
    document.set_text_shaping(True)
    document.add_page()

    def line(text: str, size: int = 10, bold: bool = False, height: float = 5.5) -> None:
        document.set_font("DejaVu", "B" if bold else "", size)
        document.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT")

    if redacted:
        line(
            _(
                "REDACTED COPY (parts left out: %(parts)d; passages blacked out: %(passages)d, shown as █████). The "
                "tip itself is unchanged."
            )
            % {
                "parts": handover.parts_left_out,
                "passages": handover.passages_blacked_out,
            },
            bold=True,
        )
        document.ln(2)
    line(
        _("Tip %(reference)s to %(channel)s") % {"reference": tip.reference, "channel": tip.channel.name},
        size=15,
        bold=True,
        height=8,
    )
    facts = [
        _("Received %(received)s") % {"received": in_zone(tip.received_hour, tip.channel.time_zone)},
        tip.get_status_display(),
    ]
    if tip.deadline:
        facts.append(_("deadline %(deadline)s") % {"deadline": in_zone(tip.deadline, tip.channel.time_zone)})
    line(" · ".join(str(fact) for fact in facts))
    line(
        _("Exported %(moment)s UTC. Handle it as the tip itself: it holds what the tipster wrote.")
        % {
            "moment": date_format(timezone.now(), "j M Y, H:i"),
        },
        size=8,
    )
    for part in handover.parts:
        document.ln(3)
        line(part.heading, bold=True)
        line(part.text)
    return bytes(document.output())
