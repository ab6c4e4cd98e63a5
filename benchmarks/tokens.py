"""Insider tokens: server time to issue one member's N tokens (blind signatures and the count),
and to redeem one token (checks, RSA-PSS verification, spending the nonce), median and p99,
on SQLite or PostgreSQL. The member's own work (blinding, finalizing) is shown apart.

Run: .venv/bin/python benchmarks/tokens.py [--database sqlite|postgresql] [--members 200] [--tokens 5]
"""

import argparse
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import django_for, percentile


def report(name: str, timings: list[float]) -> None:
    print(f"{name:52s} p50 {percentile(timings, 0.5):7.2f} ms   p99 {percentile(timings, 0.99):7.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--tokens", type=int, default=5)
    arguments = parser.parse_args()
    django_for(arguments.database)
    from django.db import transaction
    from django.utils import timezone

    from tipline.insider import admin_services, issuance, keys, members, redemption
    from tipline.insider.models import Member
    from tipline.members.protocol import PendingToken, public_key_from_spki

    organisation = admin_services.create_organisation("bench", "police", "Police", arguments.tokens)
    members.add_members(organisation, [f"officer {number}" for number in range(arguments.members)])
    last_period = timezone.now() - timedelta(seconds=organisation.epoch_seconds)
    key = keys.ensure_keys(organisation, last_period)[0]
    public, key_id, challenge = public_key_from_spki(bytes(key.public_key)), bytes(key.key_id), bytes(key.challenge)
    print(f"database: {arguments.database}; {arguments.members} members, {arguments.tokens} tokens each, RSA-2048")

    client_blind, client_finish, server_issue, tokens = [], [], [], []
    for member in Member.objects.select_related("organisation"):
        started = time.perf_counter()
        pending = [PendingToken.start(public, key_id, challenge) for _ in range(arguments.tokens)]
        client_blind.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        issued = issuance.issue(member, [item.request for item in pending], now=last_period)
        server_issue.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        tokens += [
            item.finish(public, challenge, key_id, answer)
            for item, answer in zip(pending, issued.responses, strict=True)
        ]
        client_finish.append((time.perf_counter() - started) * 1000)

    server_redeem = []
    for token in tokens[: arguments.members]:
        started = time.perf_counter()
        with transaction.atomic():
            redemption.spend(redemption.check(organisation, token.to_text()))
        server_redeem.append((time.perf_counter() - started) * 1000)

    report(f"server: issue {arguments.tokens} tokens to one member", server_issue)
    report("server: redeem one token (check, verify, spend)", server_redeem)
    report(f"member's device: blind {arguments.tokens} requests", client_blind)
    report(f"member's device: finalize and verify {arguments.tokens} tokens", client_finish)


if __name__ == "__main__":
    main()
