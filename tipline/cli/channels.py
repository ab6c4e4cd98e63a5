"""`tipline channel import|export`: a channel and its form from or to a YAML or JSON file
(docs/channels.md), saved through the same service as the admins' form editor."""

import sys
from pathlib import Path

from tipline.cli.text import _


def add_parser(commands) -> None:
    channel = commands.add_parser(
        "channel",
        help=_("import or export a channel and its form (YAML or JSON)"),
        description=_(
            "Import a channel from a YAML or JSON file (creating it, or replacing the form of the "
            "channel with that slug), or print a channel as YAML or JSON. See docs/channels.md for the format."
        ),
    )
    channel_actions = channel.add_subparsers(dest="action", metavar="ACTION", required=True)
    channel_import = channel_actions.add_parser("import", help=_("create or update channels from files"))
    channel_import.add_argument("files", nargs="+", metavar="FILE")
    channel_export = channel_actions.add_parser("export", help=_("print a channel as YAML (or --json)"))
    channel_export.add_argument("slug")
    channel_export.add_argument("--json", action="store_true", help=_("print JSON instead of YAML"))
    channel.set_defaults(handler=run_channel)


def run_channel(arguments) -> int:
    from tipline.core.channel_schema import export_channel
    from tipline.core.models import Channel

    if arguments.action == "export":
        channel = Channel.objects.filter(slug=arguments.slug).first()
        if channel is None:
            print(
                _("tipline channel export: no channel with slug %(slug)r.") % {"slug": arguments.slug}, file=sys.stderr
            )
            return 1
        sys.stdout.write(export_channel(channel, as_json=arguments.json))
        return 0
    problems = sum(not _import(name) for name in arguments.files)
    return 1 if problems else 0


def _import(name: str) -> bool:
    """One file imported, or why not said on standard error; False when it was not."""
    from tipline.casework.admin_services import save_channel
    from tipline.core.channel_schema import ChannelFormatError, parse_document
    from tipline.core.submission import channel_is_receiving

    path = Path(name)
    try:
        spec = parse_document(path.read_text(encoding="utf-8"), path.name)
    except (OSError, UnicodeDecodeError) as error:
        print(_("%(file)s: cannot be read (%(error)s)") % {"file": name, "error": error}, file=sys.stderr)
        return False
    except ChannelFormatError as error:
        print(
            _("%(file)s: not imported:") % {"file": name},
            *(f"  {line}" for line in str(error).splitlines()),
            sep="\n",
            file=sys.stderr,
        )
        return False
    try:
        channel, created = save_channel("command line", spec)
    except ChannelFormatError as error:
        print(_("%(file)s: not imported: %(error)s") % {"file": name, "error": error}, file=sys.stderr)
        return False
    message = (
        _("%(file)s: channel %(slug)r created with %(count)d fields.")
        if created
        else _("%(file)s: channel %(slug)r updated with %(count)d fields.")
    )
    print(message % {"file": name, "slug": channel.slug, "count": len(spec.fields)})
    if not channel_is_receiving(channel):
        print(
            _(
                "%(file)s: channel %(slug)r has no recipient who could read its tips, so it takes none: add one with "
                "tipline createuser NAME --role recipient --channel %(slug)s, or on Admin → Channels."
            )
            % {"file": name, "slug": channel.slug},
            file=sys.stderr,
        )
    return True
