"""tipline-reader's command line: set up, sync, read, answer, and carry bundles. Secrets are
asked for without echo, or read from TIPLINE_READER_PASSPHRASE and TIPLINE_READER_TOKEN for
scripts; they are never taken as arguments, which other users of the machine can see."""

import argparse
import getpass
import os
import sys
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Literal, overload

from tipline.crypto import channel_keys, recipient_keys
from tipline.crypto.encoding import b64, from_b64
from tipline.crypto.errors import DecryptionError, UnsupportedFormatError
from tipline.reader import authors, exchange, language, opening, recovery, web
from tipline.reader.client import Client
from tipline.reader.language import _, gettext_noop
from tipline.reader.profile import Profile, ReaderError, Vault, default_profile_dir, private_file

MINIMUM_PASSPHRASE = 12


def main(argv: list[str] | None = None) -> int:
    """Every problem ends in one line on standard error, never a traceback: what went wrong
    and what to do; nothing the reader holds is lost by any of them."""
    arguments = parser().parse_args(argv)
    language.use(language.from_environment(arguments.language))
    try:
        return arguments.command(arguments) or 0
    except ReaderError as problem:
        return _said(str(problem))
    except EOFError:
        return _said(_(NO_TERMINAL))
    except KeyboardInterrupt:
        return _said(_("Stopped. Nothing sealed here was lost."), 130)
    except BrokenPipeError:  # `show … | head`: the reader of our output left; nothing to say
        try:  # as Python's documentation advises: no second error when the interpreter flushes stdout
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return 141
    except FileNotFoundError as problem:
        return _said(_("No such file: %(file)s.") % {"file": problem.filename})
    except (OSError, zipfile.BadZipFile) as problem:
        return _said(_("Cannot use that file: %(problem)s.") % {"problem": problem})
    except (DecryptionError, UnsupportedFormatError) as problem:
        return _said(_("%(problem)s Was the file made for this reader?") % {"problem": problem})
    except Exception as problem:  # noqa: BLE001 - the last line of defence against a traceback
        return _said(
            _(
                "Something unexpected went wrong (%(problem)s). Nothing was lost; please report this line to whoever "
                "runs your tip line."
            )
            % {"problem": f"{type(problem).__name__}: {problem}"}
        )


NO_TERMINAL = gettext_noop(
    "There is no terminal to ask on: set TIPLINE_READER_PASSPHRASE (and TIPLINE_READER_TOKEN) for scripts."
)


def _ask(prompt: str) -> str:
    """A secret typed without echo; never read from a pipe, where it would show."""
    if not sys.stdin.isatty():
        raise ReaderError(_(NO_TERMINAL))
    return getpass.getpass(prompt)


def _said(message: str, status: int = 1) -> int:
    print(f"tipline-reader: {_plain(message)}", file=sys.stderr)
    return status


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="tipline-reader", description="Read and answer the tips of an offline-key channel on your own computer."
    )
    top.add_argument(
        "--language",
        choices=language.LANGUAGES,
        help="the language of messages and pages (default: from TIPLINE_READER_LANGUAGE or LANG)",
    )
    top.add_argument(
        "--profile",
        type=Path,
        default=None,
        help=f"where this reader keeps its vault and store (default: {default_profile_dir()})",
    )
    commands = top.add_subparsers(required=True, metavar="COMMAND")

    def command(name: str, function: Callable[[argparse.Namespace], None], help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(command=function)
        return sub

    init = command(
        "init",
        init_profile,
        "Make the channel's key here and upload its public half (or set up one side of an air-gapped pair).",
    )
    init.add_argument("--channel", required=True)
    init.add_argument("--server", help="the tip line's address, e.g. https://tips.example.org")
    init.add_argument(
        "--air-gapped",
        action="store_true",
        help="this machine never goes online: make the key and print its public half",
    )
    init.add_argument(
        "--upload-key",
        metavar="PUBLIC_KEY",
        help="online side of an air-gapped pair: upload this public key, keep no key here",
    )
    init.add_argument(
        "--name", help="the name your replies and notes are signed as (default: your account's name on the tip line)"
    )
    join = command(
        "join", join_channel, "Ask a colleague for the channel's key: prints a request for tipline-reader share-key."
    )
    join.add_argument("--channel")
    join.add_argument("--server")
    join.add_argument(
        "--name", help="the name your replies and notes are signed as (default: your account's name on the tip line)"
    )
    share = command("share-key", share_key, "Seal this reader's channel keys for a colleague's request, to a file.")
    share.add_argument("request")
    share.add_argument("--out", type=Path, required=True)
    accept = command("accept-key", accept_key, "Take in the keys a colleague sealed for this reader's request.")
    accept.add_argument("file", type=Path)
    command("passphrase", change_passphrase, "Choose a new passphrase for this reader's vault.")
    command(
        "token", change_token, "Give this reader a new personal API token (when the old one expired or was revoked)."
    )
    command(
        "keys", list_keys, "Show the fingerprints of the channel keys this reader holds, to compare with the tip page."
    )
    command("sync", sync, "Send sealed replies and notes, check the channel's key, fetch tips and files.")
    command("rotate", rotate, "Make a new channel key and seal every tip again to it.")
    command("list", list_tips, "List the tips in this reader.")
    show = command("show", show_tip, "Decrypt and show one tip (by its reference, e.g. T-7KQ4-M2XP).")
    show.add_argument("tip")
    for name, help_text in (
        ("reply", "Seal a reply to the tipster and send it (text from --text or standard input)."),
        ("note", "Seal an internal note and send it (text from --text or standard input)."),
    ):
        writer = command(name, write, help_text)
        writer.add_argument("tip")
        writer.add_argument(
            "--text",
            help="the text; other users of this computer can see it in the process list, so leave it out to type it "
            "instead",
        )
        writer.set_defaults(kind=name)
        if name == "reply":
            writer.add_argument("--purpose", choices=("acknowledgement", "feedback"), default="")
    save = command("save-file", save_file, "Decrypt one of a tip's files to a path you choose.")
    save.add_argument("tip")
    save.add_argument("file_id")
    save.add_argument("--out", type=Path, required=True)
    serve = command(
        "web", serve_pages, "Read and answer in your browser at http://127.0.0.1:PORT/ (this computer only)."
    )
    serve.add_argument("--port", type=int, default=8765)
    bundle_out = command(
        "export-bundle",
        export_bundle,
        "Online side: sync, then write every tip and file, still encrypted, to one file.",
    )
    bundle_out.add_argument("--out", type=Path, required=True)
    bundle_in = command("import-bundle", import_bundle, "Air-gapped side: read a bundle in.")
    bundle_in.add_argument("file", type=Path)
    replies_out = command(
        "export-replies", export_replies, "Air-gapped side: write the sealed replies and notes to carry out."
    )
    replies_out.add_argument("--out", type=Path, required=True)
    replies_in = command(
        "import-replies", import_replies, "Online side: send the replies and notes from an air-gapped reader."
    )
    replies_in.add_argument("file", type=Path)
    recover = command(
        "recover",
        recover_tips,
        "Admins: with the organisation recovery key's private file, grant "
        "tips again to a recipient's new key, or seal them to a new recovery key (needs no profile; "
        "the key is never sent).",
    )
    recover.add_argument("--server", required=True, help="the tip line's address, e.g. https://tips.example.org")
    recover.add_argument("--key", type=Path, required=True, help="the recovery private key file (recovery-key new)")
    target = recover.add_mutually_exclusive_group(required=True)
    target.add_argument("--to", metavar="USERNAME", help="the recipient to grant the tips to")
    target.add_argument(
        "--reseal-to",
        type=Path,
        metavar="NEW_PUBLIC_KEY_FILE",
        help="after installing a new recovery key: seal every tip of the old one to it",
    )
    recover.add_argument("--tip", action="append", default=[], metavar="REFERENCE", help="a tip to grant (repeat)")
    recover.add_argument("--unreadable", action="store_true", help="every tip no current recipient can read")
    recover.add_argument(
        "--fingerprint",
        help="the recipient's key fingerprint from their Notifications page (without it, you are asked)",
    )
    return top


# ---- setting up ---------------------------------------------------------------------------


def init_profile(arguments: argparse.Namespace) -> None:
    profile = _profile(arguments)
    if not arguments.air_gapped and not arguments.server:
        raise ReaderError(
            _("Say where the tip line is (--server https://…), or --air-gapped for a machine that never goes online.")
        )
    settings = {"channel": arguments.channel, "server": None if arguments.air_gapped else arguments.server.rstrip("/")}
    vault = Vault(
        token=None if arguments.air_gapped else _secret("TIPLINE_READER_TOKEN", _("Personal API token (tl1.…): "))
    )
    name = arguments.name
    if not arguments.air_gapped:
        name = name or exchange.check_no_key_yet(Client(settings["server"], vault.token), arguments.channel)
    authors.ensure_signing_key(vault, name or f"{arguments.channel} air-gapped reader")
    if arguments.upload_key:
        public_key = _public_key(arguments.upload_key)
    else:
        pair = recipient_keys.generate_key_pair()
        vault.add_key(pair.public_key, pair.private_key)
        public_key = pair.public_key
    profile.create(settings, vault, _new_passphrase())  # the key is on disk before the server hears of it
    if arguments.air_gapped:
        print(
            _("Key made. Carry its public half to the online machine and run there:")
            + f"\n  tipline-reader init --server URL --channel {arguments.channel} --upload-key={b64(public_key)}"
        )
        # "=" keeps a key that begins with "-" (one in 64 do) from being read as an option.
    else:
        exchange.upload_first_key(Client(settings["server"], vault.token), arguments.channel, public_key)
        print(_("Channel %(channel)s now seals every new tip to this key only.") % {"channel": arguments.channel})
    print(_("Fingerprint: %(fingerprint)s") % {"fingerprint": channel_keys.fingerprint(public_key)})
    print(_("Replies and notes written here are signed as %(name)s.") % {"name": _plain(vault.signer["name"])})


def join_channel(arguments: argparse.Namespace) -> None:
    """A new reader asks for the channel's key; one that has a profile already (after a
    colleague rotated the key) asks again with a fresh request."""
    profile = _profile(arguments)
    if profile.exists:
        profile, vault, passphrase = _opened(arguments, with_passphrase=True)
        request = exchange.new_transfer_request(vault)
        profile.save_vault(vault, passphrase)
    else:
        if not arguments.channel:
            raise ReaderError(
                _("Say which channel to join: --channel SLUG (and --server URL unless this machine is air-gapped).")
            )
        vault = Vault(
            token=_secret("TIPLINE_READER_TOKEN", _("Personal API token (tl1.…): ")) if arguments.server else None
        )
        name = arguments.name or (
            exchange.whoami(Client(arguments.server.rstrip("/"), vault.token), arguments.channel)
            if arguments.server
            else None
        )
        authors.ensure_signing_key(vault, name or f"{arguments.channel} air-gapped reader")
        request = exchange.new_transfer_request(vault)
        server = arguments.server.rstrip("/") if arguments.server else None
        profile.create({"channel": arguments.channel, "server": server}, vault, _new_passphrase())
    print(
        _("Send this request to a colleague who reads the channel:")
        + f"\n  {request}\n"
        + _("Read them its fingerprint to compare: %(fingerprint)s")
        % {"fingerprint": exchange.request_fingerprint(request)}
        + "\n"
        + _("Then run tipline-reader accept-key on the file they send back.")
    )


def share_key(arguments: argparse.Namespace) -> None:
    profile, vault, passphrase = _opened(arguments, with_passphrase=True)
    arguments.out.write_bytes(exchange.share_keys(profile, vault, arguments.request))
    profile.save_vault(vault, passphrase)  # the colleague's signing key is trusted from now on
    print(
        _(
            "Sealed for the request of %(name)s with fingerprint %(fingerprint)s: compare it with your colleague "
            "before you send %(file)s. Only their reader can open it, and their replies and notes will show as signed "
            "by %(name)s."
        )
        % {
            "name": _plain(exchange.request_name(arguments.request) or "?"),
            "fingerprint": exchange.request_fingerprint(arguments.request),
            "file": arguments.out,
        }
    )


def accept_key(arguments: argparse.Namespace) -> None:
    profile, vault, passphrase = _opened(arguments, with_passphrase=True)
    count = exchange.accept_keys(vault, arguments.file.read_bytes())
    profile.save_vault(vault, passphrase)
    newest = vault.newest_public_key  # None after a hand-over of no keys to a reader that held none
    print(
        _("Channel keys taken in: %(count)d. Newest fingerprint: %(fingerprint)s")
        % {"count": count, "fingerprint": channel_keys.fingerprint(newest) if newest is not None else "-"}
    )


def change_passphrase(arguments: argparse.Namespace) -> None:
    profile, vault = _opened(arguments)
    profile.save_vault(vault, _new_passphrase("TIPLINE_READER_NEW_PASSPHRASE"))
    print(_("The vault now opens with the new passphrase only."))


def change_token(arguments: argparse.Namespace) -> None:
    profile, vault, passphrase = _opened(arguments, with_passphrase=True)
    account = exchange.replace_token(
        profile, vault, _secret("TIPLINE_READER_TOKEN", _("New personal API token (tl1.…): "))
    )
    profile.save_vault(vault, passphrase)
    print(
        _("The new token works (account %(account)s); the vault keeps it instead of the old one.")
        % {"account": _plain(account)}
    )


def list_keys(arguments: argparse.Namespace) -> None:
    _profile_, vault = _opened(arguments)
    for key in vault.keys:
        print(channel_keys.fingerprint(from_b64(key["public"])))
    if not vault.keys:
        print(_("No channel key here yet: tipline-reader join asks a colleague for it."))


def rotate(arguments: argparse.Namespace) -> None:
    profile, vault, passphrase = _opened(arguments, with_passphrase=True)
    rotation = exchange.rotate(profile, vault, lambda: profile.save_vault(vault, passphrase))
    print(
        _(
            "New channel key %(fingerprint)s; tips sealed again to it: %(count)d. Share it with your colleagues: "
            "tipline-reader share-key."
        )
        % {"fingerprint": rotation.fingerprint, "count": rotation.resealed}
    )
    if rotation.not_opened:
        print(
            _(
                "Tips sealed to a key this reader never held: %(count)d. The colleague who holds it runs "
                "tipline-reader rotate too."
            )
            % {"count": rotation.not_opened}
        )


# ---- reading and answering ---------------------------------------------------------------


def sync(arguments: argparse.Namespace) -> None:
    profile, vault = _opened(arguments)
    result = exchange.sync(profile, vault)
    print(
        _("Replies and notes sent: %(sent)d. Tips fetched: %(tips)d, with new files: %(files)d.")
        % {"sent": result.sent, "tips": result.tips, "files": result.files}
    )
    if result.forgotten:
        print(
            _("Tips the tip line destroyed (its retention), removed here with their files: %(count)d.")
            % {"count": result.forgotten}
        )
    if result.kept:
        print(_(exchange.KEPT_WARNING) % {"count": result.kept})
    _warn_refused(result.refused)
    trusted = opening.trusted_here(profile, vault)
    for record in profile.tip_records():
        for warning in opening.warnings_of(profile, record, trusted):
            print(
                _("WARNING: tip %(reference)s: %(warning)s")
                % {"reference": _plain(record["reference"]), "warning": _plain(warning)}
            )
    if result.token_expires:
        print(
            _(
                "WARNING: this reader's API token expires on %(date)s. Make a new one (Staff → API tokens) and run "
                "tipline-reader token before then."
            )
            % {"date": result.token_expires}
        )


def _warn_refused(refused: Iterable[str]) -> None:
    for reason in refused:
        print(
            _(
                "WARNING: the server refused an item sealed here; it stays in the outbox and is sent again at each "
                "sync: %(reason)s"
            )
            % {"reason": _plain(reason)}
        )


def _plain(value: object) -> str:
    return opening.visible(value)


def _body(text: object) -> str:
    """A multi-line text, each line indented, so that none can pass for a heading such as
    "[Note by …]", which are never indented. Browsers end lines with CR LF: one line ending."""
    return "\n".join(f"  {_plain(line)}" for line in str(text).replace("\r\n", "\n").split("\n"))


def list_tips(arguments: argparse.Namespace) -> None:
    profile = _profile(arguments)
    records = sorted(
        profile.tip_records(), key=lambda record: (str(record["deadline"] or "9999"), str(record["received_hour"]))
    )
    for record in records:
        deadline = (
            _("deadline %(when)s") % {"when": _plain(record["deadline"])[:16]}
            if record["deadline"]
            else _("no deadline")
        )
        flagged = ("  " + _("WARNING: see tipline-reader show")) if opening.warnings_of(profile, record) else ""
        print(
            f"{_plain(record['reference'])}  "
            + _("received %(when)s") % {"when": _plain(record["received_hour"])[:16]}
            + f"  {deadline}  {_plain(language.status(record['status']))}  "
            + _("messages: %(count)s") % {"count": _plain(record["message_count"])}
            + flagged
        )
    if not records:
        print(_("No tips yet: tipline-reader sync (or import-bundle) fetches them."))


def show_tip(arguments: argparse.Namespace) -> None:
    profile, vault = _opened(arguments)
    tip = opening.open_tip(profile, vault, profile.tip_record(arguments.tip))
    record = tip.record
    print(
        _("Tip %(reference)s · received %(when)s UTC · %(status)s")
        % {
            "reference": _plain(record["reference"]),
            "when": _plain(record["received_hour"])[:16],
            "status": _plain(language.status(record["status"])),
        }
    )
    for warning in tip.warnings:
        print(_("WARNING: %(warning)s") % {"warning": _plain(warning)})
    for answer in tip.answers:
        print(f"\n{_plain(answer['label'])}:\n{_body(answer['value'])}")
    for view in tip.files:
        print(
            "\n"
            + _("File %(id)s: %(name)s (%(size)s bytes) — %(note)s")
            % {"id": _plain(view.id), "name": _plain(view.name), "size": _plain(view.size), "note": _plain(view.note)}
        )
    for message in tip.messages:
        print(f"\n[{_plain(opening.byline(message))}{_when(message.sent_hour)}]\n{_body(message.text)}")
        for view in message.files:
            print(
                "  "
                + _("File %(id)s: %(name)s (%(size)s bytes)")
                % {"id": _plain(view.id), "name": _plain(view.name), "size": _plain(view.size)}
            )
    for note in tip.notes:
        print(f"\n[{_plain(opening.byline(note))}{_when(note.written_hour)}]\n{_body(note.text)}")


def _when(hour: str) -> str:
    return f" · {_plain(hour)[:16]}" if hour else ""


def write(arguments: argparse.Namespace) -> None:
    profile, vault = _opened(arguments)
    if arguments.text is None and sys.stdin.isatty():
        prompt = (
            _("Type the reply; end it with Ctrl+D on a line of its own (Ctrl+C stops, nothing is sent).")
            if arguments.kind == "reply"
            else (_("Type the note; end it with Ctrl+D on a line of its own (Ctrl+C stops, nothing is sent)."))
        )
        print(prompt, file=sys.stderr)
    text = (arguments.text if arguments.text is not None else sys.stdin.read()).strip()
    if not 0 < len(text) <= 20_000:
        raise ReaderError(_("Write between 1 and 20,000 characters."))
    record = profile.tip_record(arguments.tip)
    profile.queue(opening.seal_text(profile, vault, record, arguments.kind, text, getattr(arguments, "purpose", "")))
    if not profile.settings().get("server"):
        print(_("Sealed. Carry it out with tipline-reader export-replies."))
        return
    refused: list[str] = []
    try:
        exchange.send_waiting(profile, exchange.client_for(profile, vault), refused)
    except ReaderError as problem:
        print(
            _("Sealed and queued: the next sync sends it, do not write it again (%(problem)s)")
            % {"problem": _plain(problem)}
        )
        return
    print(_("Sealed and sent.") if not refused else _("Sealed; the server did not take it yet."))
    _warn_refused(refused)


def save_file(arguments: argparse.Namespace) -> None:
    profile, vault = _opened(arguments)
    view, chunks = opening.file_bytes(profile, vault, profile.tip_record(arguments.tip), arguments.file_id)
    if arguments.out.exists():
        raise ReaderError(
            _("%(file)s exists already: choose another --out, or remove it first.") % {"file": arguments.out}
        )
    partial = arguments.out.with_name(arguments.out.name + ".part")
    with private_file(partial) as handle:  # evidence: for you alone
        for chunk in chunks:
            handle.write(chunk)
    partial.replace(arguments.out)  # only a file that verified to its end gets its name
    print(
        _("Saved %(name)s (%(size)d bytes) to %(file)s.")
        % {"name": _plain(view.name), "size": view.size, "file": arguments.out}
    )


def serve_pages(arguments: argparse.Namespace) -> None:
    profile, vault = _opened(arguments)
    try:
        server = web.serve(profile, vault, arguments.port, online=bool(profile.settings().get("server")))
    except OSError as problem:
        raise ReaderError(
            _("Cannot open port %(port)d on 127.0.0.1 (%(problem)s): choose another with --port.")
            % {"port": arguments.port, "problem": problem.strerror or problem}
        ) from None
    print(
        _("Open %(address)s in your browser (on this computer only; the secret in it lets you in).")
        % {"address": web.address(server)}
        + "\n"
        + _("Stop with Ctrl+C."),
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


# ---- bundles -----------------------------------------------------------------------------


def export_bundle(arguments: argparse.Namespace) -> None:
    profile, vault = _opened(arguments)
    result = exchange.export_bundle(profile, vault, arguments.out)
    print(
        _(
            "Wrote %(file)s: every tip of the channel, still encrypted (fetched now: %(tips)d; replies and notes sent: "
            "%(sent)d)."
        )
        % {"file": arguments.out, "tips": result.tips, "sent": result.sent}
    )


def import_bundle(arguments: argparse.Namespace) -> None:
    profile, vault = _opened(arguments)
    print(
        _("Tips read from %(file)s: %(count)d.")
        % {"file": arguments.file, "count": exchange.import_bundle(profile, vault, arguments.file)}
    )


def export_replies(arguments: argparse.Namespace) -> None:
    profile = _profile(arguments)
    print(
        _("Sealed replies and notes written to %(file)s: %(count)d.")
        % {"file": arguments.out, "count": exchange.export_replies(profile, arguments.out)}
    )


def import_replies(arguments: argparse.Namespace) -> None:
    profile, vault = _opened(arguments)
    count = exchange.import_replies(profile, arguments.file)
    refused: list[str] = []
    sent = exchange.send_waiting(profile, exchange.client_for(profile, vault), refused)
    print(
        _("Sealed replies and notes taken from %(file)s: %(count)d; sent: %(sent)d.")
        % {"file": arguments.file, "count": count, "sent": sent}
    )
    _warn_refused(refused)


# ---- the organisation recovery key (admins) -----------------------------------------------


def recover_tips(arguments: argparse.Namespace) -> None:
    from tipline.crypto import recovery_keys

    private_key = _key_file(arguments.key, recovery_keys.read_private_key, _("a recovery private key file"))
    token = _secret("TIPLINE_READER_TOKEN", _("An admin's personal API token (tl1.…): "))
    client = Client(arguments.server.rstrip("/"), token)
    if arguments.reseal_to:
        new_public = _key_file(arguments.reseal_to, recovery_keys.read_public_key, _("a recovery public key file"))
        done = recovery.reseal(client, private_key, new_public)
        print(
            _("Tips sealed again to the new recovery key %(fingerprint)s: %(count)d.")
            % {"fingerprint": recovery_keys.fingerprint(new_public), "count": done.done}
        )
        _say_not_opened(done)
        return
    account = recovery.account(client, arguments.to)
    _confirm_account(account, arguments.fingerprint)
    done = recovery.grant(client, private_key, account, arguments.tip, arguments.unreadable)
    print(_("Tips granted to %(name)s: %(count)d.") % {"name": _plain(account.username), "count": done.done})
    for refusal in done.refused:
        print(_("Refused by the tip line: %(reason)s") % {"reason": _plain(refusal)})
    for reference in done.missing:
        print(
            _(
                "%(reference)s: no such tip sealed to the recovery key (it came before the key, or on an "
                "offline-key channel)."
            )
            % {"reference": _plain(reference)}
        )
    _say_not_opened(done)


def _key_file(path: Path, read: Callable[[str], bytes], what: str) -> bytes:
    try:
        return read(path.read_text())
    except (ValueError, UnicodeDecodeError):
        raise ReaderError(
            _("%(file)s is not %(what)s (tipline recovery-key new makes them).") % {"file": path, "what": what}
        ) from None


def _confirm_account(account: recovery.Account, given: str | None) -> None:
    """The key everything is sealed to, checked by its owner's fingerprint before anything is."""
    print(
        _("%(name)s (%(display)s), recipient of %(channels)s. Key fingerprint: %(fingerprint)s")
        % {
            "name": _plain(account.username),
            "display": _plain(account.display_name or "-"),
            "channels": _plain(", ".join(account.channels) or "-"),
            "fingerprint": account.fingerprint,
        }
    )
    if given is not None:
        if not recovery.same_fingerprint(given, account.fingerprint):
            raise ReaderError(
                _(
                    "The tip line's key for %(name)s does not have the fingerprint you gave: nothing was "
                    "sealed. Ask them to read it from their Notifications page again."
                )
                % {"name": _plain(account.username)}
            )
        return
    if not sys.stdin.isatty():
        raise ReaderError(
            _(
                "Give --fingerprint (the recipient reads it from their Notifications page): there is no "
                "terminal to ask on."
            )
        )
    if (
        input(
            _("Does %(name)s read the same fingerprint on their Notifications page? Type yes to seal: ")
            % {"name": _plain(account.username)}
        )
        .strip()
        .lower()
        != "yes"
    ):
        raise ReaderError(_("Nothing was sealed."))


def _say_not_opened(done: recovery.Recovered) -> None:
    if done.not_opened:
        print(
            _("Tips sealed to another recovery key than this file's, left as they are: %(count)d.")
            % {"count": done.not_opened}
        )


# ---- helpers ----------------------------------------------------------------------------


def _profile(arguments: argparse.Namespace) -> Profile:
    return Profile(arguments.profile or default_profile_dir())


@overload
def _opened(arguments: argparse.Namespace) -> tuple[Profile, Vault]: ...
@overload
def _opened(arguments: argparse.Namespace, with_passphrase: Literal[True]) -> tuple[Profile, Vault, str]: ...
def _opened(
    arguments: argparse.Namespace, with_passphrase: bool = False
) -> tuple[Profile, Vault] | tuple[Profile, Vault, str]:
    profile = _profile(arguments)
    profile.settings()  # says where to start when there is no profile
    passphrase = _secret("TIPLINE_READER_PASSPHRASE", _("Passphrase: "))
    vault = profile.open_vault(passphrase)
    if vault.signing is None:  # a vault from before signing keys gets one now
        authors.ensure_signing_key(vault, _own_name(profile, vault))
        profile.save_vault(vault, passphrase)
    return (profile, vault, passphrase) if with_passphrase else (profile, vault)


def _own_name(profile: Profile, vault: Vault) -> str:
    settings = profile.settings()
    if settings.get("server") and vault.token:
        try:
            return exchange.whoami(Client(settings["server"], vault.token), settings["channel"])
        except ReaderError:
            pass
    return f"{settings['channel']} reader"


def _new_passphrase(variable: str = "TIPLINE_READER_PASSPHRASE") -> str:
    if os.environ.get(variable):
        passphrase = os.environ[variable]
    else:
        passphrase = _ask(_("Choose a passphrase for this reader's vault: "))
        if _ask(_("The same passphrase again: ")) != passphrase:
            raise ReaderError(_("The two passphrases differ. Nothing was made."))
    if len(passphrase) < MINIMUM_PASSPHRASE:
        raise ReaderError(
            _("A passphrase has at least %(count)d characters: it is all that guards the channel's key here.")
            % {"count": MINIMUM_PASSPHRASE}
        )
    return passphrase


def _secret(variable: str, prompt: str) -> str:
    value = os.environ.get(variable) or _ask(prompt)
    if not value:
        raise ReaderError(_("Nothing was given for %(what)s.") % {"what": prompt.rstrip(": ")})
    return value


def _public_key(text: str) -> bytes:
    try:
        key = from_b64(text.strip())
    except ValueError:
        key = b""
    if len(key) != 32:
        raise ReaderError(_("A public key is the 43 characters tipline-reader init --air-gapped printed."))
    return key


if __name__ == "__main__":
    sys.exit(main())
