"""The reader's side of Tipline's JSON API: a personal token, JSON in and out, files as bytes.
Standard library only (urllib), so the reader needs nothing beyond PyNaCl."""

import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

from tipline.reader.language import _, gettext_noop
from tipline.reader.profile import ReaderError


class ServerSaid(ReaderError):
    """The server answered with an error; `status` is its HTTP status."""

    def __init__(self, status: int, message: str):
        super().__init__(_("The server said %(status)s: %(message)s") % {"status": status, "message": message})
        self.status = status


TOKEN_REFUSED = gettext_noop(
    "it no longer takes this reader's API token (tokens expire, 90 days after they are made unless chosen otherwise, "
    "and a reset of the account or an admin revokes them). Make a new one on the tip line (Staff → API tokens) and run "
    "tipline-reader token: nothing here is lost."
)
TIMEOUT_SECONDS = 60
CHUNK_BYTES = 64 * 1024


class Client:
    def __init__(self, server: str, token: str | None):  # None: an air-gapped vault, refused as any wrong token
        self.base = server.rstrip("/") + "/api/v1"
        self.token = token

    def get(self, path: str, **query: object) -> dict[str, Any]:
        return self._json("GET", path + (f"?{urllib.parse.urlencode(query, doseq=True)}" if query else ""))

    def put(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._json("PUT", path, body)

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._json("POST", path, body)

    def download(self, path: str) -> Iterator[bytes]:
        with self._open("GET", path) as response:
            while chunk := response.read(CHUNK_BYTES):
                yield chunk

    def _json(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        with self._open(method, path, body) as response:
            try:
                answer = json.loads(response.read())
            except (ValueError, UnicodeDecodeError):
                answer = None
        if not isinstance(answer, dict):
            raise ReaderError(
                _(
                    "%(server)s did not answer as a tip line does (no JSON object): is it the right address? Nothing "
                    "was lost."
                )
                % {"server": self.base}
            )
        return answer

    def _open(self, method: str, path: str, body: dict[str, Any] | None = None) -> http.client.HTTPResponse:
        request = urllib.request.Request(
            self.base + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
        )
        try:
            response: http.client.HTTPResponse = urllib.request.urlopen(
                request, timeout=TIMEOUT_SECONDS
            )  # an http(s) URL's
            return response
        except urllib.error.HTTPError as error:
            if error.code == 401:
                raise ServerSaid(401, _(TOKEN_REFUSED)) from None
            raise ServerSaid(error.code, _message_of(error)) from None
        except urllib.error.URLError as error:
            raise ReaderError(
                _("Cannot reach %(server)s: %(reason)s. Nothing was lost; try again.")
                % {"server": self.base, "reason": error.reason}
            ) from None


def _message_of(error: urllib.error.HTTPError) -> str:
    try:
        message = json.loads(error.read())["message"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return str(error.reason)
    return message if isinstance(message, str) else str(error.reason)
