"""The check of `tipline check` that the audit log owns: its checkpoints kept apart from the data."""

from pathlib import Path

from django.conf import settings
from django.core.checks import CheckMessage
from django.utils.translation import gettext as _

from tipline.base.system_checks import STATE, register, warning


@register(STATE)
def check_checkpoint_file(**kwargs) -> list[CheckMessage]:
    """Not a configuration problem (the server still starts): the log's witness is weak there."""
    checkpoint_file, data_dir = Path(settings.AUDIT_CHECKPOINT_FILE), Path(settings.DATA_DIR)
    if data_dir not in checkpoint_file.parents:
        return []
    return [
        warning(
            37,
            _(
                "The audit checkpoints %(file)s are in the data directory: whoever can write the database there can "
                "cut them back with it. Unset TIPLINE_AUDIT_CHECKPOINT_FILE (the default is beside the data directory) "
                "or point it elsewhere."
            )
            % {"file": checkpoint_file},
        )
    ]
