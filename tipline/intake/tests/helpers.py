"""Building tip form posts the way a browser sends them."""

import re

from django.test import Client

from tipline.forms.tipster import new_form_token

RECEIPT_PATTERN = re.compile(r"\d{4} \d{4} \d{4} \d{4} \d{4} \d{4}")


def time_sensitive_answers(**overrides) -> dict:
    answers = {
        "answer-what": "A transfer of detainee R. is planned.",
        "answer-where": "North gate",
        "answer-when": "2099-12-04T06:00",
        "answer-who": "Two guards",
        "answer-how-known": "Someone told me",
    }
    answers.update(overrides)
    return answers


def post_tip(client: Client, slug: str, answers: dict, files=None, token: str | None = None):
    data = {"form_token": token or new_form_token(), **answers}
    if files:
        data["answer-files"] = files
    return client.post(f"/c/{slug}/", data)


def receipt_in(response) -> str:
    match = RECEIPT_PATTERN.search(response.content.decode())
    assert match, "no receipt on the page"
    return match.group(0)
