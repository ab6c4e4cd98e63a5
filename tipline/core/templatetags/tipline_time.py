"""{{ moment|in_zone:channel.time_zone }}: a moment as the channel's people read it, with the
zone named ("20 Dec 2026, 00:00 (Europe/Madrid)"), so a date-only deadline given in Madrid
does not show to staff as the evening before in UTC."""

import zoneinfo

from django import template
from django.utils.formats import date_format

register = template.Library()


@register.filter
def in_zone(moment, zone_name: str) -> str:
    if moment is None:
        return ""
    try:
        zone = zoneinfo.ZoneInfo(zone_name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone, zone_name = zoneinfo.ZoneInfo("UTC"), "UTC"
    return f"{date_format(moment.astimezone(zone), 'j M Y, H:i')} ({zone_name or 'UTC'})"
