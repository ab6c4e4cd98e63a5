"""CSRF checks that work with `Referrer-Policy: no-referrer`.

Under that policy browsers send `Origin: null` on same-origin form posts, which
Django's check rejects. Here a null Origin is accepted only when the browser's Fetch
Metadata says the post came from this origin (`Sec-Fetch-Site: same-origin`), or when
it sends no Fetch Metadata at all (older browsers): the CSRF token and the SameSite=Strict
cookie then still have to match, as they always do.
"""

from django.middleware.csrf import CsrfViewMiddleware


class NoReferrerCsrfViewMiddleware(CsrfViewMiddleware):
    def _origin_verified(self, request):
        if request.META.get("HTTP_ORIGIN") == "null":
            return request.META.get("HTTP_SEC_FETCH_SITE", "same-origin") == "same-origin"
        return super()._origin_verified(request)
