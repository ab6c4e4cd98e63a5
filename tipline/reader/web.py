"""The reader's local web interface: bound to 127.0.0.1, server-rendered, no script and no
asset from anywhere else. Tips are decrypted in memory for each page; nothing is written in
clear.

127.0.0.1 is open to every user and program of the computer, and a browser hands its cookies
for 127.0.0.1 to every port there. So no cookie lets anyone in: each run makes a secret that
is the first part of every path, and the pages' links carry it. A browser sent to another
local port (by a link, or by markup a taken-over server got past the escaping) takes nothing
there that opens the reader: the address is never sent on (no referrer), and a request that
a browser says comes from another site or port (Sec-Fetch-Site) is refused, secret or not.
Every form carries a second secret, and a request naming another host is refused, so neither
another website nor a rebinding DNS name can drive it. Requests are served each in its own
thread, so one idle connection holds up nobody."""

import html
import secrets
import socket
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tipline.crypto import channel_keys
from tipline.crypto.encoding import from_b64
from tipline.reader import exchange, language, opening
from tipline.reader.language import _, gettext_noop
from tipline.reader.profile import Profile, ReaderError, Vault

HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}
STYLE = """
body{font:16px/1.5 system-ui,sans-serif;max-width:52rem;margin:0 auto;padding:1rem;color:#1b1b1b;background:#fff}
a{color:#1d4ed8}table{border-collapse:collapse;display:block;overflow-x:auto;max-width:100%;background:#fff}\
td,th{text-align:start;padding:.4rem;border-bottom:1px solid #767676}
.meta{color:#4b4b4b}.message{border-inline-start:4px solid #767676;padding-inline-start:.75rem;margin:1rem 0}
.message--tipster{border-color:#1d4ed8}.notice{background:#fff7d6;border:1px solid #8a6d00;padding:.75rem}
label{display:block;font-weight:600;margin-top:1rem}dt{font-weight:600}dd{margin:0 0 .75rem}
textarea{display:block;width:100%;min-height:8rem;font:inherit;border:1px solid #767676;box-sizing:border-box}
select{display:block;font:inherit;margin:.25rem 0 .75rem}button{font:inherit;padding:.4rem 1rem;margin-top:.5rem}
@media (prefers-color-scheme: dark){body,table{background:#111;color:#eee}a{color:#93c5fd}.meta{color:#bbb}\
.notice{background:#332b00;color:#fff}}
"""

# What a browser says of where a request comes from: typed or opened from outside ("none"), or a
# page of this reader. "same-site" is any other port of 127.0.0.1.
# The pages' words, marked here (markup is built in f-strings, which the catalogue tools cannot read).
TEXT_THIS_FORM_DID_NOT_COME = gettext_noop("This form did not come from this reader. Nothing was done.")
TEXT_THERE_IS_NO_SUCH_PAGE = gettext_noop("There is no such page here.")
TEXT_TIPS_FETCHED_REPLIES_AND_NOTES = gettext_noop("Tips fetched: %(tips)s. Replies and notes sent: %(sent)s.")
TEXT_SYNC_WITH_THE_SERVER = gettext_noop("Sync with the server")
TEXT_THIS_READER_WORKS_WITHOUT_A = gettext_noop(
    "This reader works without a network: bring tips with tipline-reader import-bundle."
)
TEXT_NO_TIPS_YET = gettext_noop("No tips yet.")
TEXT_CHANNEL_KEYS_HELD_HERE_COMPARE = gettext_noop("Channel keys held here (compare with a tip page on the tip line):")
TEXT_CHANNEL = gettext_noop("Channel %(channel)s")
TEXT_NO_MESSAGES_YET = gettext_noop("No messages yet.")
TEXT_NO_NOTES = gettext_noop("No notes.")
TEXT_WARNING = gettext_noop("WARNING: %(warning)s")
TEXT_TIPS = gettext_noop("← Tips")
TEXT_TIP = gettext_noop("Tip %(reference)s")
TEXT_RECEIVED_UTC = gettext_noop("Received %(when)s UTC")
TEXT_ANSWERS = gettext_noop("Answers")
TEXT_CONVERSATION_WITH_THE_TIPSTER = gettext_noop("Conversation with the tipster")
TEXT_REPLY_TO_THE_TIPSTER = gettext_noop("Reply to the tipster")
TEXT_THIS_REPLY_IS = gettext_noop("This reply is")
TEXT_AN_ORDINARY_REPLY = gettext_noop("an ordinary reply")
TEXT_THE_ACKNOWLEDGEMENT = gettext_noop("the acknowledgement")
TEXT_THE_FEEDBACK = gettext_noop("the feedback")
TEXT_SEAL_AND_SEND_REPLY = gettext_noop("Seal and send reply")
TEXT_INTERNAL_NOTES = gettext_noop("Internal notes")
TEXT_INTERNAL_NOTE = gettext_noop("Internal note")
TEXT_SEAL_AND_ADD_NOTE = gettext_noop("Seal and add note")
TEXT_BYTES = gettext_noop("%(size)s bytes")
TEXT_WRITE_BETWEEN_1_AND_20 = gettext_noop("Write between 1 and 20,000 characters.")
TEXT_BACK_TO_THE_TIPS = gettext_noop("Back to the tips")
TRUSTED_FETCH_SITES = ("same-origin", "none")
IDLE_SECONDS = 30


# What socketserver hands a server's handlers: for this TCP server, the connection's socket.
_Request = socket.socket | tuple[bytes, socket.socket]
MAX_CONNECTIONS = 32
REQUEST_SECONDS = 60  # the longest one request may take, however slowly its bytes arrive


class ReaderServer(ThreadingHTTPServer):
    """One thread per connection, at most MAX_CONNECTIONS at once: one more is closed at once,
    and one watchdog cuts any request that has taken REQUEST_SECONDS however slowly its bytes
    come, so a local program that opens many (or trickles bytes) costs the reader nothing lasting."""

    daemon_threads = True
    request_queue_size = 64

    RequestHandlerClass: "type[Pages]"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self.deadlines: dict[_Request, float] = {}
        self.deadlines_lock = threading.Lock()
        self.closed = threading.Event()
        threading.Thread(target=self._watch, daemon=True).start()

    def server_close(self) -> None:
        self.closed.set()
        super().server_close()

    def process_request(self, request: _Request, client_address: Any) -> None:
        if not self.slots.acquire(blocking=False):
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: _Request, client_address: Any) -> None:
        with self.deadlines_lock:
            self.deadlines[request] = time.monotonic() + REQUEST_SECONDS
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self.deadlines_lock:
                self.deadlines.pop(request, None)
            self.slots.release()

    def _watch(self) -> None:
        while not self.closed.wait(1):
            with self.deadlines_lock:
                overdue = [request for request, deadline in self.deadlines.items() if deadline < time.monotonic()]
            for request in overdue:
                try:
                    if isinstance(request, socket.socket):
                        request.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def serve(profile: Profile, vault: Vault, port: int, online: bool) -> ReaderServer:
    """A server ready to run (serve_forever); `address(server)` is what to open in the browser."""
    handler: type[Pages] = type(
        "ReaderPages",
        (Pages,),
        {
            "profile": profile,
            "vault": vault,
            "online": online,
            "changing": threading.Lock(),
            "default_language": language.current(),
            "form_secret": secrets.token_urlsafe(32),
            "access_secret": secrets.token_urlsafe(32),
        },
    )
    return ReaderServer(("127.0.0.1", port), handler)


def address(server: ReaderServer) -> str:
    """The address to open: this run's secret is the first part of its path, and of every page's."""
    return f"http://127.0.0.1:{server.server_port}/{server.RequestHandlerClass.access_secret}/"


class Pages(BaseHTTPRequestHandler):
    server: ReaderServer
    profile: Profile
    vault: Vault
    online: bool
    form_secret: str
    access_secret: str
    changing: threading.Lock  # one sync or sealed item at a time: they write the same store
    default_language: str  # the command line's, for a browser that asks for none the reader speaks
    timeout = IDLE_SECONDS  # a connection that says nothing is closed, not waited on for ever

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        parts = self._let_in()
        if parts is None:
            return
        try:
            if parts == ["style.css"]:
                return self._send(200, STYLE.encode(), "text/css; charset=utf-8")
            if not parts:
                return self._page(_("Tips"), self._list())
            if len(parts) == 2 and parts[0] == "tips":
                return self._page(_("Tip"), self._tip(parts[1]))
            if len(parts) == 4 and parts[0] == "tips" and parts[2] == "files":
                return self._file(parts[1], parts[3])
        except ReaderError as problem:
            return self._problem(problem, 404)
        self._not_found()

    def do_POST(self) -> None:
        parts = self._let_in()
        if parts is None:
            return
        length = (
            int(self.headers.get("Content-Length") or 0) if (self.headers.get("Content-Length") or "0").isdigit() else 0
        )
        length = min(length, 200_000)
        form = urllib.parse.parse_qs(self.rfile.read(length).decode(errors="replace"))
        if not secrets.compare_digest(form.get("form_secret", [""])[0], self.form_secret):
            return self._page(_("Refused"), f"<p>{_e(_(TEXT_THIS_FORM_DID_NOT_COME))}</p>", 403)
        try:
            if parts == ["sync"]:
                with self.changing:
                    result = exchange.sync(self.profile, self.vault)
                return self._redirect(f"/?synced={result.tips}&sent={result.sent}")
            if len(parts) == 3 and parts[0] == "tips" and parts[2] in ("reply", "note"):
                with self.changing:
                    return self._write(parts[1], parts[2], form)
        except ReaderError as problem:
            return self._problem(problem, 502)
        self._not_found()

    def _not_found(self) -> None:
        self._page(_("Not found"), f"<p>{_e(_(TEXT_THERE_IS_NO_SUCH_PAGE))}</p>", 404)

    # ---- pages --------------------------------------------------------------------------

    def _list(self) -> str:
        records = sorted(
            self.profile.tip_records(), key=lambda record: (record["deadline"] or "9999", record["received_hour"])
        )
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        done = ""
        if "synced" in query:
            counts = {"tips": query["synced"][0], "sent": query.get("sent", ["0"])[0]}
            done = f"<p class='notice' role='status'>{_e(_(TEXT_TIPS_FETCHED_REPLIES_AND_NOTES) % counts)}</p>"
        sync = (
            f"<form method='post' action='{self._at('/sync')}'>{self._secret()}"
            f"<button type='submit'>{_e(_(TEXT_SYNC_WITH_THE_SERVER))}</button></form>"
            if self.online
            else (f"<p class='meta'>{_e(_(TEXT_THIS_READER_WORKS_WITHOUT_A))}</p>")
        )
        rows = "".join(
            f"<tr><td><a href='{self._at('/tips/' + record['reference'])}'>{_e(record['reference'])}</a>"
            f"<br><span class='meta' dir='auto'>{_t(opening.summary(self.profile, self.vault, record))}</span></td>"
            f"<td>{_when(record['received_hour'])} UTC</td>"
            f"<td>{(_when(record['deadline']) + ' UTC' if record['deadline'] else '—')}</td>"
            f"<td>{_e(language.status(record['status']))}</td><td>{_e(record['message_count'])}</td></tr>"
            for record in records
        )
        headings = "".join(
            f"<th>{_e(heading)}</th>"
            for heading in (_("Tip"), _("Received"), _("Deadline"), _("Status"), _("Messages"))
        )
        table = (
            f"<table tabindex='0'><thead><tr>{headings}</tr></thead><tbody>{rows}</tbody></table>"
            if records
            else f"<p>{_e(_(TEXT_NO_TIPS_YET))}</p>"
        )
        held = ", ".join(channel_keys.fingerprint(from_b64(key["public"])) for key in self.vault.keys)
        keys = f"<p class='meta'>{_e(_(TEXT_CHANNEL_KEYS_HELD_HERE_COMPARE))} <code>{_e(held)}</code></p>"
        return (
            f"<h1>{_e(_(TEXT_CHANNEL) % {'channel': self.profile.settings()['channel']})}</h1>{done}{sync}{table}{keys}"
        )

    def _tip(self, reference: str) -> str:
        record = self.profile.tip_record(reference)
        tip = opening.open_tip(self.profile, self.vault, record)
        answers = "".join(
            f"<dt>{_t(answer['label'])}</dt><dd dir='auto'>{_lines(_shown(answer['value']))}</dd>"
            for answer in tip.answers
        )
        messages = (
            "".join(
                f"<article class='message message--{_e(message.author)}'>"
                f"<p class='meta'>{_e(opening.byline(message))}{_at_hour(message.sent_hour)}</p>"
                f"<p dir='auto'>{_lines(message.text)}</p>{self._files(record, message.files)}</article>"
                for message in tip.messages
            )
            or f"<p>{_e(_(TEXT_NO_MESSAGES_YET))}</p>"
        )
        notes = (
            "".join(
                f"<article class='message'><p class='meta'>{_e(opening.byline(note))}{_at_hour(note.written_hour)}</p>"
                f"<p dir='auto'>{_lines(note.text)}</p></article>"
                for note in tip.notes
            )
            or f"<p>{_e(_(TEXT_NO_NOTES))}</p>"
        )
        waiting = "".join(
            f"<p class='notice' role='alert'>{_e(_(TEXT_WARNING) % {'warning': warning})}</p>"
            for warning in tip.warnings
        )
        target = self._at(f"/tips/{record['reference']}")
        return (
            f"<p><a href='{self._at('/')}'>{_e(_(TEXT_TIPS))}</a></p>"
            f"<h1>{_e(_(TEXT_TIP) % {'reference': record['reference']})}</h1>"
            f"<p class='meta'>{_e(_(TEXT_RECEIVED_UTC) % {'when': record['received_hour'][:16].replace('T', ' ')})} · "
            f"{_e(language.status(record['status']))}</p>{waiting}"
            f"<h2>{_e(_(TEXT_ANSWERS))}</h2><dl>{answers}</dl>{self._files(record, tip.files)}"
            f"<h2>{_e(_(TEXT_CONVERSATION_WITH_THE_TIPSTER))}</h2>{messages}"
            f"<form method='post' action='{target}/reply'>{self._secret()}"
            f"<label for='reply'>{_e(_(TEXT_REPLY_TO_THE_TIPSTER))}</label>"
            "<textarea id='reply' name='text' required maxlength='20000' dir='auto'></textarea>"
            f"<label for='purpose'>{_e(_(TEXT_THIS_REPLY_IS))}</label><select id='purpose' name='purpose'>"
            f"<option value=''>{_e(_(TEXT_AN_ORDINARY_REPLY))}</option>"
            f"<option value='acknowledgement'>{_e(_(TEXT_THE_ACKNOWLEDGEMENT))}</option>"
            f"<option value='feedback'>{_e(_(TEXT_THE_FEEDBACK))}</option></select> "
            f"<button type='submit'>{_e(_(TEXT_SEAL_AND_SEND_REPLY))}</button></form>"
            f"<h2>{_e(_(TEXT_INTERNAL_NOTES))}</h2>{notes}<form method='post' action='{target}/note'>{self._secret()}"
            f"<label for='note'>{_e(_(TEXT_INTERNAL_NOTE))}</label>"
            "<textarea id='note' name='text' required maxlength='20000' dir='auto'></textarea>"
            f"<button type='submit'>{_e(_(TEXT_SEAL_AND_ADD_NOTE))}</button></form>"
        )

    def _files(self, record: dict[str, Any], files: list[opening.OpenFile]) -> str:
        if not files:
            return ""
        items = "".join(
            f"<li><a href='{self._at(f'/tips/{record["reference"]}/files/{view.id}')}'>{_t(view.name)}</a> "
            f"({_e(_(TEXT_BYTES) % {'size': view.size})}) — {_t(view.note)}</li>"
            for view in files
        )
        return f"<ul>{items}</ul>"

    def _file(self, reference: str, file_id: str) -> None:
        record = self.profile.tip_record(reference)
        view, chunks = opening.file_bytes(self.profile, self.vault, record, file_id)
        data = b"".join(chunks)  # verified whole before a byte is handed over
        self._send(
            200,
            data,
            "application/octet-stream",
            {"Content-Disposition": f"attachment; filename*=UTF-8''{urllib.parse.quote(view.name)}"},
        )

    def _write(self, reference: str, kind: str, form: dict[str, list[str]]) -> None:
        text = form.get("text", [""])[0].strip()
        if not text or len(text) > 20_000:
            return self._page(_("Problem"), f"<p class='notice'>{_e(_(TEXT_WRITE_BETWEEN_1_AND_20))}</p>", 400)
        record = self.profile.tip_record(reference)
        purpose = form.get("purpose", [""])[0] if kind == "reply" else ""
        if purpose not in ("", "acknowledgement", "feedback"):
            purpose = ""
        self.profile.queue(opening.seal_text(self.profile, self.vault, record, kind, text, purpose))
        if self.online:
            try:
                exchange.sync(self.profile, self.vault)  # sends it, and brings the tip back as the server now holds it
            except ReaderError:
                pass  # queued: the tip's page shows it "waiting to be sent", and the next sync sends it
        self._redirect(f"/tips/{record['reference']}")

    # ---- plumbing -----------------------------------------------------------------------

    def _let_in(self) -> list[str] | None:
        """The parts of the path after this run's secret; None once a refusal is sent. Refused:
        another host name (DNS rebinding), a path without the secret, and a request the browser
        says another site or another port of this computer made (a page there cannot have the
        secret, but it should not even try its luck)."""
        language.use(language.from_accept_language(self.headers.get("Accept-Language"), self.default_language))
        port = self.server.server_port
        if self.headers.get("Host") not in (f"127.0.0.1:{port}", f"localhost:{port}"):
            self._send(421, b"This reader answers only at 127.0.0.1.", "text/plain; charset=utf-8")
            return None
        secret, *parts = [part for part in urllib.parse.urlsplit(self.path).path.split("/") if part] or [""]
        from_elsewhere = self.headers.get("Sec-Fetch-Site", "none") not in TRUSTED_FETCH_SITES
        if from_elsewhere or not secrets.compare_digest(secret.encode(), self.access_secret.encode()):
            self._page(
                _("Refused"),
                "<p>"
                + _e(
                    _(
                        "Open the address tipline-reader web printed: its secret is part of it, "
                        "and this computer's other users and programs do not have it."
                    )
                )
                + "</p>",
                403,
            )
            return None
        return parts

    def _path(self, path: str) -> str:
        """A path of these pages (and its query), with this run's secret in front."""
        return f"/{self.access_secret}{urllib.parse.quote(path, safe='/?=&')}"

    def _at(self, path: str) -> str:
        """The same, escaped for an attribute of a page."""
        return _e(self._path(path))

    def _secret(self) -> str:
        return f"<input type='hidden' name='form_secret' value='{self.form_secret}'>"

    def _page(self, title: str, body: str, status: int = 200) -> None:
        page = (
            f"<!doctype html><html lang='{language.current()}' dir='{language.direction()}'><head>"
            "<meta charset='utf-8'><meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{_e(title)} — tipline-reader</title><link rel='stylesheet' href='{self._at('/style.css')}'></head>"
            f"<body><main>{body}</main></body></html>"
        )
        self._send(status, page.encode(), "text/html; charset=utf-8")

    def _problem(self, problem: ReaderError, status: int) -> None:
        self._page(
            _("Problem"),
            f"<p class='notice'>{_e(problem)}</p><p><a href='{self._at('/')}'>{_e(_(TEXT_BACK_TO_THE_TIPS))}</a></p>",
            status,
        )

    def _redirect(self, location: str) -> None:
        self._send(303, b"", "text/plain; charset=utf-8", {"Location": self._path(location)})

    def _send(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (
            HEADERS | {"Content-Type": content_type, "Content-Length": str(len(body))} | (extra or {})
        ).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _when(moment: str) -> str:
    """An ISO time from the server as people read it, to the minute (the server keeps hours)."""
    return _e(moment[:16].replace("T", " "))


def _at_hour(moment: str) -> str:
    return f" · {_when(moment)} UTC" if moment else ""


def _lines(text: str) -> str:
    """What a tipster or the server wrote, line by line: escaped, and with control characters
    and bidirectional overrides shown as their codes (opening.visible)."""
    return "<br>".join(_t(line) for line in str(text).replace("\r\n", "\n").split("\n"))


def _t(value: object) -> str:
    return _e(opening.visible(value))


def _shown(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return _("(empty)") if value in (None, "") else str(value)
