"""The public pages every header and privacy test walks (with the demo loaded); later
issues add theirs."""

PUBLIC_PAGES = [
    "/",
    "/c/general/",
    "/c/time-sensitive/",
    "/check/",
]
