"""Tipline: a self-hosted, secure, anonymous tip line."""

__version__ = "0.1.0"
