"""Domain models and the services that combine them with crypto (channels, tips)."""
