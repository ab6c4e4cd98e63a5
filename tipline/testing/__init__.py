"""Test harness shared by every app's tests: environment, browser, privacy scan, migrations."""
