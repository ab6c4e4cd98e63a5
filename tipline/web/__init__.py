"""Web plumbing shared by every page and the API: middleware (access log, security headers,
CSRF without a Referer, a database that is down), the privacy rules of logging, sessions,
language links and the warm-up before the first request. No domain rule lives here."""
