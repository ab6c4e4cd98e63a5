"""Recipient and admin pages: inbox, tip view, triage, replies, grants, export, admin."""
