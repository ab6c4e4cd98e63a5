"""The checks of `tipline check` that the domain owns: channels that take no tips or whose
recipients tipsters cannot tell apart, and the organisation recovery key."""

from django.core.checks import CheckMessage
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tipline.base.system_checks import DATABASE_STATE, register, warning


@register(DATABASE_STATE)
def check_channels(**kwargs) -> list[CheckMessage]:
    from tipline.core.models import Channel
    from tipline.core.offline_keys import is_setting_vouched
    from tipline.core.submission import channel_is_receiving

    channels = list(Channel.objects.all())
    found: list[CheckMessage] = [
        warning(
            20,
            _(
                "Channel %(slug)s: its offline setting was changed behind the site's back (it fails its check under "
                "the secret key file), so it takes no tips. Find out who wrote to the database; restore it from a "
                "backup (tipline restore)."
            )
            % {"slug": channel.slug},
        )
        if not is_setting_vouched(channel)
        else warning(
            21,
            _(
                "Channel %(slug)s has an offline key, but no key is set yet (or its key failed its check), so it takes "
                "no tips: a recipient runs tipline-reader init --server URL --channel %(slug)s."
            )
            % {"slug": channel.slug},
        )
        if channel.offline_key
        else warning(
            22,
            _(
                "Channel %(slug)s has no recipient who could read its tips, so it takes none: tipline createuser NAME "
                "--role recipient --channel %(slug)s."
            )
            % {"slug": channel.slug},
        )
        for channel in channels
        if not channel_is_receiving(channel)
    ]
    for channel in channels:
        unnamed = sorted(channel.recipients.filter(is_active=True, display_name="").values_list("username", flat=True))
        if channel.tipsters_may_leave_out and unnamed:
            found.append(
                warning(
                    23,
                    _(
                        "Channel %(slug)s lets tipsters leave recipients out, but some have no name for tipsters "
                        "(%(names)s): each sets one under Notifications, or tipsters cannot tell them apart."
                    )
                    % {"slug": channel.slug, "names": ", ".join(unnamed)},
                )
            )
    return found


@register(DATABASE_STATE)
def check_recovery_key(**kwargs) -> list[CheckMessage]:
    """No recovery key (a tip whose readers all lose their keys is lost), one that fails its
    check, tips of ordinary channels sealed to none, and tips waiting on a retired generation."""
    from tipline.core import recovery

    summary = recovery.summary()
    found: list[CheckMessage] = []
    if not summary.generations:
        found.append(
            warning(
                28,
                _(
                    "There is no organisation recovery key: a tip whose readers all lose their keys (a reset, a "
                    "recipient who leaves) cannot be opened again. On your own computer: tipline recovery-key new "
                    "recovery.key; keep it offline, and on this server: tipline recovery-key install recovery.key.pub "
                    "(docs/operations.md)."
                ),
            )
        )
    elif summary.current is None:
        refused = ", ".join(str(gen.key.generation) for gen in summary.generations if not gen.vouched)
        found.append(
            warning(
                29,
                _(
                    "The recovery key in the database is not the one an admin installed (generations failing their "
                    "check: %(refused)s): new tips are sealed to no recovery key. Find out who wrote to the database, "
                    "and install the key again from your own file: tipline recovery-key install recovery.key.pub."
                )
                % {"refused": refused or "-"},
            )
        )
    if summary.generations and summary.ordinary_tips_without:
        found.append(
            warning(
                30,
                ngettext(
                    "%(count)d tip of an ordinary channel is sealed to no recovery key (it came before the key was "
                    "installed): only its recipients' keys open it. A recipient who can read it can grant it to a "
                    "colleague while they still can.",
                    "%(count)d tips of ordinary channels are sealed to no recovery key (they came before the key was "
                    "installed): only their recipients' keys open them. A recipient who can read them can grant them "
                    "to a colleague while they still can.",
                    summary.ordinary_tips_without,
                )
                % {"count": summary.ordinary_tips_without},
            )
        )
    waiting = sum(generation.tips for generation in summary.generations if generation.key.retired_at)
    if waiting:
        found.append(
            warning(
                31,
                ngettext(
                    "%(count)d tip is still sealed to a retired recovery key: on your own computer, run tipline-reader "
                    "recover --server URL --key OLD_KEY_FILE --reseal-to NEW_KEY_FILE.pub, then the old key can be "
                    "destroyed.",
                    "%(count)d tips are still sealed to a retired recovery key: on your own computer, run "
                    "tipline-reader recover --server URL --key OLD_KEY_FILE --reseal-to NEW_KEY_FILE.pub, then the old "
                    "key can be destroyed.",
                    waiting,
                )
                % {"count": waiting},
            )
        )
    return found
