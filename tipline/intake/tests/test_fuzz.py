"""Hypothesis-driven submissions: random values, sizes, scripts, control characters,
duplicate and missing fields. Never a 5xx; a refusal stores nothing and says what to fix;
an accepted tip stores exactly what was sent."""

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tipline.core.conversation import open_tip_for_recipient, read_answers
from tipline.core.models import Tip
from tipline.forms.tipster import new_form_token

pytestmark = pytest.mark.django_db
FIELDS = [
    "answer-what",
    "answer-where",
    "answer-when",
    "answer-who",
    "answer-how-known",
    "answer-unknown",
    "form_token",
]
values = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=50),
    st.sampled_from(
        ["", " ", "\x00", "2099-12-04T06:00", "2001-01-01T00:00", "I saw or heard it myself", "x" * 12_000]
    ),
)
form_data = st.dictionaries(
    st.sampled_from(FIELDS), st.one_of(values, st.lists(values, min_size=2, max_size=3)), max_size=7
)


@pytest.mark.slow
@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=form_data, with_token=st.booleans())
@example(data={"answer-what": "  plain and valid  "}, with_token=True)
@example(data={"answer-what": ["first", "the last one counts"], "answer-when": ""}, with_token=True)
def test_random_submissions_never_fail_and_never_store_garbage(client, recipient_keys, data, with_token):
    from django.core.cache import cache

    cache.clear()
    if with_token:
        data = data | {"form_token": new_form_token()}
    before = set(Tip.objects.values_list("pk", flat=True))

    response = client.post("/c/time-sensitive/", data)

    assert response.status_code in (200, 400), response.status_code
    if response.status_code == 400:
        assert set(Tip.objects.values_list("pk", flat=True)) == before
        page = response.content.decode()
        assert "Please check what you wrote" in page and 'class="error' in page
        return
    new_tip = Tip.objects.exclude(pk__in=before).get()
    user, private_key = recipient_keys
    stored = {
        answer.key: answer.value for answer in read_answers(new_tip, open_tip_for_recipient(new_tip, user, private_key))
    }
    sent = data["answer-what"][-1] if isinstance(data["answer-what"], list) else data["answer-what"]
    assert stored["what"] == sent.strip()
