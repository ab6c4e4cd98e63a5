"""Removing a passkey from a form someone tampered with: a clear refusal, never a server error
(issue 31, finding 14, first half)."""

import pytest

from tipline.testing.staff import make_staff, sign_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("chosen", ["abc", "", "-1", "١"])
def test_a_remove_that_names_no_passkey_is_refused_in_plain_words(chosen):
    staff = sign_in(make_staff("ana", []))
    answer = staff.post("/staff/passkeys/", {"remove": chosen})
    assert answer.status_code == 400
    assert "Choose a passkey from the list to remove it." in answer.content.decode()
