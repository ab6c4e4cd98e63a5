"""`tipline worker` and `tipline jobs status`: the background jobs run (alert deliveries, the
deadline scan, retention, digests) and what they are doing, read from the task queue."""

from tipline.cli.text import _, fail


def add_worker_parser(commands) -> None:
    worker = commands.add_parser(
        "worker",
        help=_("run background jobs: deadline alerts, notifications, retention"),
        description=_(
            "Run background jobs until stopped (SIGTERM or Ctrl+C): alert deliveries, the deadline scan every "
            "15 seconds, the retention purge every hour and the daily digest. Several workers "
            "may run against one PostgreSQL database. It waits out database faults and records a heartbeat "
            "(docs/operations.md, The worker); docs/deployment.md has its systemd unit."
        ),
    )
    worker.add_argument("--interval", type=float, default=1.0, help=_("seconds to wait when idle (default: 1)"))
    worker.set_defaults(handler=run_worker)


def add_status_parser(commands) -> None:
    jobs = commands.add_parser(
        "jobs",
        help=_("show background tasks: queued, running, failed, next scans"),
        description=_(
            "tipline jobs status: counts of queued, running, failed and finished tasks, the latest "
            "failures, when each periodic scan runs next, and alerts that are pending or failing."
        ),
    )
    jobs.add_argument("action", choices=["status"])
    jobs.set_defaults(handler=run_jobs)


def run_worker(arguments) -> int:
    from tipline.alerts.health import startup_report
    from tipline.jobs.worker import NotSetUp, run

    print(_("tipline worker: running background jobs; stop with Ctrl+C or SIGTERM."), flush=True)
    try:
        run(interval=arguments.interval, when_ready=lambda: print(startup_report(), flush=True))
    except NotSetUp as problem:
        return fail(f"tipline worker: {problem}")
    return 0


def run_jobs(arguments) -> int:
    from tipline.jobs.status import report

    print(report())
    return 0
