"""Turning the services' results into the API's response shapes."""

from tipline.core.attachments import FileView
from tipline.core.conversation import Answer, MessageView
from tipline.core.duties import Duty
from tipline.core.models import Channel, Tip
from tipline.core.submission import channel_is_receiving
from tipline.forms.tipster import leave_out_field


def channel_out(channel: Channel) -> dict:
    leave_out = leave_out_field(channel)
    return {
        "slug": channel.slug,
        "name": channel.name,
        "description": channel.description,
        "retention_days": channel.retention_days,
        "keeps_file_metadata": channel.keep_file_metadata,
        "time_zone": channel.time_zone,
        "offline_key": channel.offline_key,
        "receiving": channel_is_receiving(channel),
        "insider_tokens": channel.insider_tokens if channel.asks_for_insider_token else "off",
        "insider_organisation": (
            channel.insider_organisation.slug
            if channel.asks_for_insider_token and channel.insider_organisation
            else None
        ),
        "recipients_to_leave_out": [
            {"id": int(value), "name": str(name)} for value, name in getattr(leave_out, "choices", [])
        ],
        "recipients_who_always_read": getattr(leave_out, "always_read", 0),
        "fields": [
            {
                "key": field.key,
                "kind": field.kind,
                "label": field.label,
                "help": field.help_text,
                "required": field.required,
                "choices": field.choices,
                "max_length": field.max_length,
                "deadline": field.is_deadline,
            }
            for field in channel.fields.all()
        ],
    }


def answer_out(answer: Answer) -> dict:
    return {"key": answer.key, "label": answer.label, "kind": answer.kind, "value": answer.value}


def file_out(view: FileView) -> dict:
    return {"id": view.id, "name": view.name, "size": view.size, "note": view.note}


def message_out(message: MessageView, for_colleagues: bool = False) -> dict:
    """A message as its reader may see it: only colleagues learn which of them wrote a reply."""
    shown = {
        "author": message.author,
        "sent_hour": message.sent_hour,
        "text": message.text,
        "files": [file_out(view) for view in message.files],
        "signature": message.signature,
    }
    return shown | {"sender": message.sender} if for_colleagues else shown


def duty_out(duty: Duty) -> dict:
    return {"kind": duty.kind, "due": duty.due, "done": duty.done}


def tip_summary_out(tip: Tip) -> dict:
    return {
        "id": tip.id,
        "reference": tip.reference,
        "channel": tip.channel.slug,
        "received_hour": tip.received_hour,
        "status": tip.status,
        "deadline": tip.deadline,
        "labels": [label.name for label in tip.labels.all()],
        "assignee": tip.assignee.username if tip.assignee else None,
        "unread": tip.unread_by_recipients,
        "message_count": tip.message_count,
        "file_count": tip.file_count,
        "insider": {"organisation": tip.insider_organisation.slug, "epoch": tip.insider_epoch}
        if tip.insider_organisation
        else None,
    }
