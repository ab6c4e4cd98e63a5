"""The API object: routers, authentication by personal token, error shape."""

from ninja import NinjaAPI
from ninja.security import HttpBearer

from tipline.accounts.tokens import open_token
from tipline.api import errors, insiders, offline, privacy_pass, public, recipients, recovery


class PersonalToken(HttpBearer):
    """`Authorization: Bearer tl1.…`: sets request.user, request.private_key and request.token_secret."""

    def authenticate(self, request, token):
        opened = open_token(token)
        if opened is None:
            return None
        request.user, request.private_key = opened
        request.token_secret = token
        return request.user


api = NinjaAPI(
    title="Tipline API",
    version="1",
    urls_namespace="api",
    docs_url=None,
    description="Send tips, follow them up with a receipt, and work on them with a personal token. "
    "Errors share one shape: {code, message, field}. See docs/api.md for curl examples.",
)
errors.install(api)
api.add_router("/", public.router)
api.add_router("/", insiders.router)
api.add_router("/", privacy_pass.router)
api.add_router("/", recipients.router, auth=PersonalToken())
api.add_router("/", offline.router, auth=PersonalToken())
api.add_router("/", recovery.router, auth=PersonalToken())
