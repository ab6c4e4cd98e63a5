"""The domain: models and the services that combine them with crypto (channels, tips,
uploads, blobs, limits). It imports nothing of web/, operations/, the pages, the API, the
worker or the command line (tests/test_layers.py)."""
