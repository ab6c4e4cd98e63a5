"""Casework leaves no plaintext either: replies, notes, exports and the audit log hold no
tip content at rest, and no client identity is recorded."""

import logging

from tipline.testing.privacy import PROBE_HEADERS
from tipline.testing.staff import make_tip, sign_in


def test_a_recipient_working_on_a_tip_leaves_no_plaintext(two_channels, privacy, caplog):
    caplog.set_level(logging.INFO)
    privacy.watch("marker-tip-text-71ac", "marker-reply-42ee", "marker-note-90d1")
    tip, _ = make_tip("alpha", "marker-tip-text-71ac")
    ana = sign_in(two_channels["alpha"])
    ana.defaults.update(PROBE_HEADERS)

    ana.get(f"/staff/tips/{tip.id}/")
    ana.post(f"/staff/tips/{tip.id}/reply/", {"text": "marker-reply-42ee"})
    ana.post(f"/staff/tips/{tip.id}/note/", {"text": "marker-note-90d1"})
    export = ana.post(f"/staff/tips/{tip.id}/export/")
    handed_over = ana.post(
        f"/staff/tips/{tip.id}/handover/", {"passages": "room", "despite_unmatched": "on"}
    )  # "room" matches nothing
    assert handed_over["Content-Type"] == "application/pdf"

    assert b"marker-tip-text-71ac" in b"".join(export.streaming_content)  # readable in the export only
