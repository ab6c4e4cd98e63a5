"""Handing a tip over as a PDF: the whole tip, in any script, or a redacted copy that leaves
out the parts and passages a recipient chose, says so, leaves the tip unchanged, and is
audited. The PDF's text is read back with pdfminer."""

import io

from pdfminer.high_level import extract_text

from tipline.audit.models import AuditEntry
from tipline.core.models import Tip
from tipline.testing.staff import make_tip


def pdf_text(response) -> str:
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf", response.content[:300]
    return extract_text(io.BytesIO(response.content))


def flat(text: str) -> str:
    return " ".join(text.split())


def test_the_whole_tip_as_a_pdf(signed_in):
    tip, _ = make_tip("alpha", "The ledger in room 12 is kept twice by Marta Ruiz.")
    ana = signed_in["alpha"]
    ana.post(f"/staff/tips/{tip.id}/reply/", {"text": "Who else keeps it?"})

    page = ana.get(f"/staff/tips/{tip.id}/handover/").content.decode()
    response = ana.post(f"/staff/tips/{tip.id}/handover/", {})
    text = flat(pdf_text(response))

    assert "Hand over tip" in page and 'value="answer-tip"' in page and 'value="message-1"' in page
    assert f"Tip {tip.reference} to Alpha" in text and "kept twice by Marta Ruiz" in text
    assert "ana ·" in text and "Who else keeps it?" in text and "REDACTED" not in text
    assert response["Content-Disposition"].endswith(f"tip-{tip.reference}.pdf")
    exported = AuditEntry.objects.get(action="tip-exported")
    assert exported.details["format"] == "pdf" and exported.details["redacted"] is False


def test_a_redacted_copy_leaves_out_what_was_chosen_and_says_so(signed_in):
    tip, _ = make_tip("alpha", "The ledger in room 12 is kept twice by Marta Ruiz; ask MARTA at the desk.")
    ana = signed_in["alpha"]
    ana.post(f"/staff/tips/{tip.id}/note/", {"text": "Marta is the tipster's sister, keep her out."})
    before = bytes(Tip.objects.get().answers_ciphertext)

    response = ana.post(f"/staff/tips/{tip.id}/handover/", {"leave_out": ["note-1"], "passages": "marta ruiz\nMarta\n"})
    text = flat(pdf_text(response))

    assert text.startswith("REDACTED COPY (parts left out: 1; passages blacked out: 2, shown as █████).")
    assert "marta" not in text.lower() and "sister" not in text
    assert "The ledger in room 12 is kept twice by █████; ask █████ at the desk." in text
    assert response["Content-Disposition"].endswith(f"tip-{tip.reference}-redacted.pdf")
    assert bytes(Tip.objects.get().answers_ciphertext) == before  # the original is unchanged
    details = AuditEntry.objects.get(action="tip-exported").details
    assert details == {"format": "pdf", "redacted": True, "parts_left_out": 1, "passages_blacked_out": 2}


def test_arabic_is_shaped_into_the_pdf(signed_in):
    tip, _ = make_tip("alpha", "دفتر الحسابات في الغرفة 12")
    text = pdf_text(signed_in["alpha"].post(f"/staff/tips/{tip.id}/handover/", {}))
    # HarfBuzz joined the letters; pdfminer reads the glyphs back in visual order, right to left.
    assert "تاباسحلا رتفد" in text or "دفتر الحسابات" in text


def test_a_handover_refuses_unknown_parts_one_letter_passages_and_other_channels(signed_in):
    tip, _ = make_tip("alpha", "text")
    foreign, _ = make_tip("beta", "not ana's")
    ana = signed_in["alpha"]

    unknown = ana.post(f"/staff/tips/{tip.id}/handover/", {"leave_out": ["note-9"]})
    tiny = ana.post(f"/staff/tips/{tip.id}/handover/", {"passages": "a"})

    assert unknown.status_code == 400 and "open it again" in unknown.content.decode()
    assert tiny.status_code == 400 and "at least two" in tiny.content.decode()
    assert ana.get(f"/staff/tips/{foreign.id}/handover/").status_code == 404
    assert not AuditEntry.objects.filter(action="tip-exported").exists()


def test_a_shorter_passage_typed_first_does_not_leave_the_longer_standing(signed_in):
    tip, _ = make_tip("alpha", "Agent John Smith met Smith's aide.")

    response = signed_in["alpha"].post(f"/staff/tips/{tip.id}/handover/", {"passages": "Smith\nAgent John Smith"})
    text = flat(pdf_text(response))

    assert "█████ met █████'s aide." in text
    assert "Agent" not in text and "John" not in text
    assert AuditEntry.objects.get(action="tip-exported").details["passages_blacked_out"] == 2


def test_line_breaks_no_break_spaces_hidden_hyphens_width_and_case_do_not_hide_a_name(signed_in):
    written = [
        "Marta\nRuiz",
        "MARTA\u00a0RUIZ",
        "Mar\u00adta Ruiz",
        "Mar\u200bta  Ruiz",
        "\uff2d\uff41\uff52\uff54\uff41 Ruiz",
        "Marta\u2028Ruiz",
    ]
    tip, _ = make_tip("alpha", "Ask " + ", then ".join(written) + ".")

    response = signed_in["alpha"].post(f"/staff/tips/{tip.id}/handover/", {"passages": "marta\u00a0ruiz"})
    text = flat(pdf_text(response))

    assert text.startswith("REDACTED COPY (parts left out: 0; passages blacked out: 6,")
    assert "Ask █████, then █████, then █████, then █████, then █████, then █████." in text
    assert "ruiz" not in text.lower() and "ｒｕｉｚ" not in text.lower()


def test_passages_that_match_nothing_are_listed_before_any_copy_is_made(signed_in):
    tip, _ = make_tip("alpha", "The ledger is kept twice by Marta Ruiz.")
    ana = signed_in["alpha"]
    ana.post(f"/staff/tips/{tip.id}/note/", {"text": "Her brother Paolo works there."})
    chosen = {"leave_out": ["note-1"], "passages": "Marta Ruiz\nMarta Ruis\nPaolo"}

    asked = ana.post(f"/staff/tips/{tip.id}/handover/", chosen)
    page = asked.content.decode()

    assert asked["Content-Type"].startswith("text/html") and "No copy was made" in page
    assert (
        '<li dir="auto">Marta Ruis</li>' in page and '<li dir="auto">Paolo</li>' in page
    )  # Paolo is only in the part left out
    assert '<li dir="auto">Marta Ruiz</li>' not in page
    assert not AuditEntry.objects.filter(action="tip-exported").exists()
    text = flat(pdf_text(ana.post(f"/staff/tips/{tip.id}/handover/", {**chosen, "despite_unmatched": "on"})))
    assert "kept twice by █████." in text and "passages blacked out: 1," in text


def test_a_name_written_with_a_combining_accent_or_a_ligature_is_still_found():
    from tipline.casework.redaction import black_out

    assert black_out("Jose\u0301 Ruiz, JOSÉ, Jose", ("josé",), "#") == ("# Ruiz, #, Jose", 2)
    assert black_out("the ﬁle on Straße 5", ("file", "STRASSE"), "#") == ("the # on # 5", 2)
