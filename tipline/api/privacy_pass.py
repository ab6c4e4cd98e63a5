"""Insider tokens over the standard's own HTTP layer, beside Tipline's JSON: RFC 9578's
issuer directory and binary issuance (`application/private-token-request` in,
`application/private-token-response` out), and RFC 9577's `Authorization: PrivateToken
token=…` on the API's tip submission. The tokens are the same ones the JSON endpoints
issue: a standard Privacy Pass client and `tipline-token` can use each other's."""

import base64
import re

from django.http import Http404, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET
from ninja import Router

from tipline.api.errors import ApiError
from tipline.api.insiders import ERRORS, MemberCredential
from tipline.crypto.encoding import from_b64
from tipline.insider import epochs, issuance, keys
from tipline.insider.models import Organisation
from tipline.members.protocol import TOKEN_TYPE, Token, TokenError

DIRECTORY_TYPE = "application/private-token-issuer-directory"
REQUEST_TYPE = "application/private-token-request"
RESPONSE_TYPE = "application/private-token-response"
# RFC 9577: `PrivateToken token="…"` (quoted or not), possibly among other parameters.
TOKEN_PARAMETER = re.compile(r'(?:^|[\s,])token\s*=\s*"?([A-Za-z0-9_\-=]+)"?', re.IGNORECASE)

router = Router(tags=["verified insiders"])


@require_GET
def issuer_directory(request, organisation: str | None = None):
    """`/.well-known/private-token-issuer-directory[/<organisation>]`: the keys a member may
    be issued with from now on, the current one first (the RFC's order of preference). The
    bare address serves the only organisation when there is exactly one."""
    found = _directory_organisation(organisation)
    current = epochs.current(found.epoch_seconds)
    # The current period's key and the next ones, oldest first: the keys made ahead are all there are.
    usable = [key for key in keys.ensure_keys(found) if key.sealed_private_key is not None]
    directory = {
        "issuer-request-uri": request.build_absolute_uri(reverse("api:token_request", args=[found.slug])),
        "token-keys": [
            {
                "token-type": TOKEN_TYPE,
                "token-key": base64.urlsafe_b64encode(bytes(key.public_key)).decode(),
                "not-before": int(epochs.Epoch(key.epoch, found.epoch_seconds).starts.timestamp()),
            }
            for key in usable
        ],
    }
    response = JsonResponse(directory, content_type=DIRECTORY_TYPE)
    # Cached until the period turns, when the first key changes.
    response["Cache-Control"] = f"public, max-age={max(1, int((current.ends - timezone.now()).total_seconds()))}"
    return response


def _directory_organisation(slug: str | None) -> Organisation:
    if slug is not None:
        found = Organisation.objects.filter(slug=slug).first()
    else:
        only = list(Organisation.objects.all()[:2])
        found = only[0] if len(only) == 1 else None
    if found is None:
        raise Http404("No such organisation; add its short name to the address.")
    return found


@router.post(
    "/insiders/{organisation}/token-request",
    response={200: None, 415: None, **ERRORS},
    auth=MemberCredential(),
    url_name="token_request",
    summary="Blind-sign one RFC 9578 TokenRequest",
)
def token_request(request, organisation: str):
    """The body is one binary TokenRequest (`application/private-token-request`); the answer
    is its blind signature (`application/private-token-response`). Counted against the
    same N per period as the JSON issuance."""
    if request.member.organisation.slug != organisation:
        raise ApiError(404, "not_found", "No organisation with this short name.", "organisation")
    if request.content_type != REQUEST_TYPE:
        raise ApiError(415, "invalid", f"Send one TokenRequest as {REQUEST_TYPE}.", "content-type")
    try:
        issued = issuance.issue(request.member, [request.body])
    except issuance.IssuanceRefused as refusal:
        raise ApiError(409 if refusal.code != "invalid" else 400, refusal.code, refusal.message) from None
    return HttpResponse(issued.responses[0], content_type=RESPONSE_TYPE)


def token_from_authorization(request) -> str:
    """The token of an `Authorization: PrivateToken token=…` header, as the `tipv1:` text the
    form takes; "" when the request has no such header."""
    scheme, _, parameters = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "privatetoken":
        return ""
    match = TOKEN_PARAMETER.search(parameters)
    try:
        if match is None:
            raise TokenError("no token parameter")
        encoded = match.group(1).rstrip("=")
        return Token.from_bytes(from_b64(encoded)).to_text()
    except (TokenError, ValueError):
        raise ApiError(
            400,
            "token_malformed",
            'The PrivateToken header holds no whole token: Authorization: PrivateToken token="<base64url>".',
            "insider_token",
        ) from None


def challenge_header(organisation: Organisation) -> str:
    """RFC 9577's WWW-Authenticate: the fixed challenge and key of the period issuing now,
    for a client that learns both from the channel rather than from Tipline's JSON."""
    key = keys.ensure_keys(organisation)[0]
    encode = lambda data: base64.urlsafe_b64encode(bytes(data)).decode()  # noqa: E731
    return f'PrivateToken challenge="{encode(key.challenge)}", token-key="{encode(key.public_key)}"'
