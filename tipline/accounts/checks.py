"""The check of `tipline check` that accounts own: accounts whose one-time password is unused."""

from django.core.checks import CheckMessage
from django.utils.translation import gettext as _

from tipline.base.system_checks import DATABASE_STATE, register, warning


@register(DATABASE_STATE)
def check_one_time_passwords(**kwargs) -> list[CheckMessage]:
    from tipline.accounts.models import User

    waiting = sorted(User.objects.filter(is_active=True, must_change_password=True).values_list("username", flat=True))
    if not waiting:
        return []
    return [
        warning(
            19,
            _(
                "Accounts with an unused one-time password: %(names)s. Sign in with it and set a password, or disable "
                "the account on Admin → Accounts."
            )
            % {"names": ", ".join(waiting)},
        )
    ]
