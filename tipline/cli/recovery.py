"""`tipline recovery-key new|install|show`: the organisation recovery key, so that no tip
depends on one person's key. Its pair is made on an admin's own computer (no instance
needed); only its public half is installed on the server (tipline.core.recovery)."""

import sys
from pathlib import Path

from tipline.cli.text import _, gettext_noop, write_new_private_file

RECOVERY_KEY_HOW_TO = gettext_noop(
    "On your own computer (not this server): tipline recovery-key new recovery.key; keep recovery.key offline like "
    "the backup key, and bring recovery.key.pub here: tipline recovery-key install recovery.key.pub."
)


def add_parser(commands) -> None:
    recovery = commands.add_parser(
        "recovery-key",
        help=_("the organisation recovery key, so that no tip depends on one person's key"),
        description=_(
            "new FILE (on an admin's own computer, no instance needed): write a new private key to FILE (mode 600; "
            "it must not exist) and its public key to FILE.pub. install PUBLIC_FILE (on the server): every new tip of "
            "an ordinary channel is also sealed to it; a second install makes a new generation current. show: its "
            "fingerprint and generations. tipline-reader recover uses the private key to grant tips again "
            "(docs/operations.md)."
        ),
    )
    actions = recovery.add_subparsers(dest="action", metavar="ACTION", required=True)
    new = actions.add_parser("new", help=_("make a key pair here (run it on your own computer, not on the server)"))
    new.add_argument("private_key_file", metavar="FILE")
    new.set_defaults(without_an_instance=True)
    install = actions.add_parser("install", help=_("seal every new ordinary tip to this public key as well"))
    install.add_argument("public_key_file", metavar="PUBLIC_FILE")
    actions.add_parser("show", help=_("the installed key's fingerprint, generations and how many tips each holds"))
    recovery.set_defaults(handler=run_recovery_key)


def run_recovery_key(arguments) -> int:
    if arguments.action == "new":
        return _new_recovery_key(Path(arguments.private_key_file))
    if arguments.action == "install":
        return install_recovery_key("command line", arguments.public_key_file)
    from tipline.core import recovery

    summary = recovery.summary()
    if not summary.generations:
        print(
            _("No recovery key is installed: a tip whose readers all lose their keys is lost. %(how)s")
            % {"how": _(RECOVERY_KEY_HOW_TO)}
        )
        return 1
    for generation in summary.generations:
        print(
            _("Generation %(generation)d, %(state)s, fingerprint %(fingerprint)s: %(tips)d tips")
            % {
                "generation": generation.key.generation,
                "state": _state_of(generation, summary.current),
                "fingerprint": generation.key.fingerprint,
                "tips": generation.tips,
            }
        )
    print(
        _("Tips of ordinary channels sealed to no recovery key (from before it was installed): %(count)d")
        % {"count": summary.ordinary_tips_without}
    )
    return 0


def _state_of(generation, current) -> str:
    if generation.key == current:
        return _("current")
    if not generation.vouched:
        return _("FAILS ITS CHECK (changed outside Tipline): never sealed to")
    if generation.key.retired_at:
        return _("retired")
    return _("REFUSED: made current again behind the site's back")


def install_recovery_key(actor: str, path: str) -> int:
    from tipline.core import recovery
    from tipline.crypto.recovery_keys import read_public_key

    try:
        key = recovery.install(actor, read_public_key(Path(path).read_text()))
    except (OSError, ValueError, UnicodeDecodeError):
        print(
            _("tipline recovery-key: %(file)s is not a public key file made by tipline recovery-key new.")
            % {"file": path},
            file=sys.stderr,
        )
        return 1
    except recovery.RecoveryRefused as refusal:
        print(f"tipline recovery-key: {refusal}", file=sys.stderr)
        return 1
    print(
        _(
            "Recovery key generation %(generation)d installed, fingerprint %(fingerprint)s: every new tip of an "
            "ordinary channel is also sealed to it. Compare the fingerprint with tipline recovery-key new's."
        )
        % {"generation": key.generation, "fingerprint": key.fingerprint}
    )
    if key.generation > 1:
        print(
            _(
                "Tips of the older generation stay sealed to it until you run, on your own computer: "
                "tipline-reader recover --server URL --key OLD_PRIVATE_FILE --reseal-to %(file)s"
            )
            % {"file": path}
        )
    return 0


def _new_recovery_key(private_path: Path) -> int:
    from tipline.crypto.recovery_keys import fingerprint, new_key_pair, read_public_key

    public, private = new_key_pair()
    public_path = private_path.with_name(private_path.name + ".pub")
    if not write_new_private_file(private_path, private, "recovery-key new"):
        return 1
    public_path.write_text(public + "\n")
    print(
        _(
            "Private key: %(private)s. Keep it offline, like the backup key: whoever holds it can read every tip of "
            "an ordinary channel. It never goes to the server."
        )
        % {"private": private_path}
    )
    print(
        _("Public key: %(public)s, fingerprint %(fingerprint)s. On the server: tipline recovery-key install %(public)s")
        % {"public": public_path, "fingerprint": fingerprint(read_public_key(public))}
    )
    return 0
