"""{% localized channel "name" %}: a channel's own text in the page's language, falling back
to what the channel was written in."""

from django import template
from django.utils.translation import get_language

register = template.Library()


@register.simple_tag
def localized(channel, field: str) -> str:
    return channel.localized(field, get_language())
