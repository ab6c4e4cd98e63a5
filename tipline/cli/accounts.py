"""`tipline createuser` and `tipline resetuser`: staff accounts made and reset from the command
line, each with a one-time password; a reset never leaves tips unreadable unasked."""

import sys

from tipline.cli.text import _, ngettext


def add_parsers(commands) -> None:
    createuser = commands.add_parser(
        "createuser",
        help=_("create a recipient or admin with a one-time password"),
        description=_(
            "Create an account and print its one-time password, which must be changed at "
            "first sign-in. Example: tipline createuser alex --role recipient --channel general"
        ),
    )
    createuser.add_argument("username")
    createuser.add_argument(
        "--role",
        action="append",
        choices=["admin", "recipient"],
        required=True,
        help=_("admin, recipient, or both (repeat the option)"),
    )
    createuser.add_argument(
        "--channel", action="append", default=[], help=_("slug of a channel to receive (repeatable)")
    )
    createuser.set_defaults(handler=run_createuser)

    resetuser = commands.add_parser(
        "resetuser",
        help=_("give an account a fresh one-time password and key pair"),
        description=_(
            "Replace an account's password with a one-time password and give it a new key pair. "
            "Tips sealed to the old key stay unreadable for this person until another recipient who can open them, "
            "or the organisation recovery key, grants them again. A tip nobody else can open, and the recovery key "
            "cannot, stays unreadable for good: the command then stops and says how many, and goes on only with "
            "--leave-unreadable and that number."
        ),
    )
    resetuser.add_argument("username")
    resetuser.add_argument(
        "--leave-unreadable",
        metavar="NUMBER",
        dest="typed",
        help=_("confirm that this many tips, which only this person can read, will stay unreadable for good"),
    )
    resetuser.set_defaults(handler=run_resetuser)


def run_createuser(arguments) -> int:
    from tipline.accounts.services import AccountError, create_user
    from tipline.audit.services import Action, record

    try:
        login = create_user(arguments.username, arguments.role, arguments.channel)
        record(
            "command line",
            Action.USER_CREATED,
            login.username,
            roles=sorted(arguments.role),
            channels=sorted(arguments.channel),
        )
    except AccountError as error:
        print(f"tipline createuser: {error}", file=sys.stderr)
        return 1
    print(_("Created %(name)s. One-time password: %(password)s") % {"name": login.username, "password": login.password})
    print(_("It must be changed at first sign-in."))
    return 0


def run_resetuser(arguments) -> int:
    from tipline.accounts.models import User
    from tipline.casework.admin_services import (
        NotConfirmed,
        left_unread_by_reset,
        reset_user,
    )
    from tipline.core.joining import CannotReset

    user = User.objects.filter(username=arguments.username).first()
    if user is None:
        print(_("tipline resetuser: no user named %(name)r.") % {"name": arguments.username}, file=sys.stderr)
        return 1
    left = left_unread_by_reset(None, user)
    try:
        login = reset_user("command line", user, arguments.typed, keep_an_admin=False)
    except NotConfirmed:
        print(
            ngettext(
                "tipline resetuser: %(count)d tip can be read by %(name)s alone, and the recovery key cannot grant it "
                "again: after a reset nobody could ever read it. Grant it to a colleague first (on its page), or go on "
                "with: tipline resetuser %(name)s --leave-unreadable %(count)d",
                "tipline resetuser: %(count)d tips can be read by %(name)s alone, and the recovery key cannot grant "
                "them again: after a reset nobody could ever read them. Grant them to a colleague first (Grant access "
                "on the channel), or go on with: tipline resetuser %(name)s --leave-unreadable %(count)d",
                left.lost,
            )
            % {"count": left.lost, "name": user.username},
            file=sys.stderr,
        )
        return 1
    except CannotReset as refusal:
        print(f"tipline resetuser: {refusal}", file=sys.stderr)
        return 1
    print(_("Reset %(name)s. One-time password: %(password)s") % {"name": login.username, "password": login.password})
    print(_("It must be changed at first sign-in."))
    _say_what_the_reset_left(left)
    return 0


def _say_what_the_reset_left(left) -> None:
    if left.recoverable:
        print(
            ngettext(
                "%(count)d tip only they could read waits for the recovery key: once they have signed in, on the "
                "computer that holds its private half, tipline-reader recover --server URL --key FILE --to %(name)s "
                "--unreadable.",
                "%(count)d tips only they could read wait for the recovery key: once they have signed in, on the "
                "computer that holds its private half, tipline-reader recover --server URL --key FILE --to %(name)s "
                "--unreadable.",
                left.recoverable,
            )
            % {"count": left.recoverable, "name": left.person}
        )
    if left.lost:
        print(
            ngettext(
                "%(count)d tip can no longer be read by anyone.",
                "%(count)d tips can no longer be read by anyone.",
                left.lost,
            )
            % {"count": left.lost}
        )
    print(_("Tips their colleagues can open stay closed to them until a colleague grants them again."))
