"""The JSON API (django-ninja) at /api/v1/: the same services as the pages, for integrations
and tipsters' own tools. OpenAPI document at /api/v1/openapi.json; no hosted docs page."""
