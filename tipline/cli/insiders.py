"""`tipline insiders create|add-members|new-code|rotate|reseal`: verified-insider organisations
(docs/insider-tokens.md), their members' one-time sign-in codes, printed once, and their keys,
all through tipline.insider.admin_services as the admins' pages do."""

import sys

from tipline.cli.rekey import run_rekey
from tipline.cli.text import _


def add_parser(commands) -> None:
    insiders = commands.add_parser(
        "insiders",
        help=_("organisations whose members can prove membership anonymously"),
        description=_(
            "Verified insiders (docs/insider-tokens.md): create an organisation, add members from a "
            "list (one per line; each gets a one-time sign-in code, printed once), give a member a new code, "
            "or rotate keys now (the worker also does it)."
        ),
    )
    actions = insiders.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help=_("create an organisation"))
    create.add_argument("slug")
    create.add_argument("--name", required=True)
    create.add_argument("--tokens", type=int, default=5, help=_("tokens per member per period (default 5)"))
    create.add_argument("--epoch-days", type=int, default=7, help=_("length of a period in days (default 7)"))
    members = actions.add_parser("add-members", help=_("add members from a file, one per line"))
    members.add_argument("slug")
    members.add_argument("file", help=_("a text file, or - for standard input"))
    code = actions.add_parser("new-code", help=_("a new one-time code for a member (a lost device)"))
    code.add_argument("slug")
    code.add_argument("reference")
    actions.add_parser("rotate", help=_("make the keys of coming periods; destroy private keys of past ones"))
    reseal = actions.add_parser(
        "reseal",
        help=_("after replacing the secret key: seal the issuer keys again under the new one"),
    )
    reseal.add_argument("old_secret_key_file", help=_("the replaced secret key file"))
    insiders.set_defaults(handler=run_insiders)


def run_insiders(arguments) -> int:
    from tipline.insider import admin_services
    from tipline.insider.models import Member, Organisation

    if arguments.action == "rotate":
        done = admin_services.rotate(actor="tipline insiders rotate")
        message = _(
            "tipline insiders rotate: %(keys_made)d keys made, %(private_keys_destroyed)d private keys destroyed, "
            "%(spent_tokens_purged)d spent tokens purged."
        )
        print(message % done)
        return 0
    if arguments.action == "reseal":
        return run_rekey(arguments)  # the older name: everything sealed under the file moves, not only issuer keys
    if arguments.action == "create":
        created = admin_services.create_organisation(
            "tipline insiders create", arguments.slug, arguments.name, arguments.tokens, arguments.epoch_days * 86400
        )
        message = _("Organisation %(slug)r created; its keys are published at %(page)s.")
        print(message % {"slug": created.slug, "page": f"/insiders/{created.slug}/"})
        return 0
    organisation = Organisation.objects.filter(slug=arguments.slug).first()
    if organisation is None:
        print(_("tipline insiders: no organisation %(slug)r.") % {"slug": arguments.slug}, file=sys.stderr)
        return 1
    if arguments.action == "add-members":
        text = sys.stdin.read() if arguments.file == "-" else open(arguments.file, encoding="utf-8").read()
        codes = admin_services.add_members("tipline insiders add-members", organisation, text)
    else:
        member = Member.objects.filter(organisation=organisation, reference=arguments.reference).first()
        if member is None:
            message = _("tipline insiders: %(slug)s has no member %(reference)r.")
            print(message % {"slug": organisation.slug, "reference": arguments.reference}, file=sys.stderr)
            return 1
        codes = [admin_services.new_code("tipline insiders new-code", member)]
    print(_("Give each member their one-time sign-in code through a safe way; it is shown only now."))
    for code in codes:
        print(f"{code.reference}\t{code.code}")
    return 0
