"""The checks of `tipline check` that alerts own: settings that moved to routes, channels whose
deadline alerts no working route serves, no route at all, mail handed over without TLS."""

from django.conf import settings
from django.core.checks import CheckMessage
from django.utils.translation import gettext as _

from tipline.base.system_checks import DATABASE_STATE, register, warning


@register(DATABASE_STATE)
def check_alert_routes(**kwargs) -> list[CheckMessage]:
    from tipline.alerts.health import channels_without_working_route
    from tipline.alerts.models import Route
    from tipline.core.models import Channel

    found: list[CheckMessage] = [
        warning(
            15,
            _(
                "TIPLINE_%(name)s is set, but alerts now go through routes; add one (tipline routes add --help) and "
                "unset it."
            )
            % {"name": name},
        )
        for name in settings.LEGACY_ALERT_SETTINGS
    ]
    unreached = channels_without_working_route()
    if unreached:
        found.append(
            warning(
                16,
                _(
                    "Deadline alerts of %(channels)s would reach nobody: no working route serves them. "
                    "Add one (tipline routes add) or fix it (tipline routes list)."
                )
                % {"channels": ", ".join(channel.slug for channel in unreached)},
            )
        )
    if Channel.objects.exists() and not Route.objects.exists():
        found.append(
            warning(
                24,
                _(
                    "There is no alert route: nobody would hear of a new tip or a deadline. Add one: tipline routes "
                    "add --help."
                ),
            )
        )
    for route in Route.objects.filter(target__startswith="smtp+plain:"):
        found.append(
            warning(
                25,
                _(
                    "Route %(name)s hands mail over without TLS (smtp+plain): use smtps:// or smtp:// (STARTTLS), or "
                    "make sure the relay on this machine sends it on with TLS."
                )
                % {"name": route.name},
            )
        )
    return found
