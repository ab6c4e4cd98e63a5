"""The public pages every header and privacy test walks; later issues add theirs."""

PUBLIC_PAGES = [
    "/",
]
