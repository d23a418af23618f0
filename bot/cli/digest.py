"""`ftscope digest --dry-run|--post`: the weekly pricing digest, printed or posted now."""

from __future__ import annotations

import argparse
import datetime as dt

from bot.cli.common import Commands, add_command, digest_job


def register(commands: Commands) -> None:
    parser = add_command(
        commands,
        "digest",
        cmd_digest,
        "the weekly pricing digest: print it, or post it now",
        "Build the pricing digest from the stored sheets and threads.",
    )
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--dry-run", action="store_true", help="print it as text; change nothing")
    mode.add_argument(
        "--post", action="store_true", help="refresh prices and post it to FTSCOPE_DIGEST_CHANNEL"
    )


def cmd_digest(args: argparse.Namespace) -> int:
    now = dt.datetime.now(dt.UTC)
    if args.post:
        from bot.scheduler import PeriodRunner  # noqa: PLC0415 - APScheduler: only to post

        job = digest_job(for_posting=True)
        period = f"manual {now.isoformat(timespec='seconds')}"
        run = PeriodRunner(job.store, job, name="ftscope digest --post").run(period, now)
        if run.error is not None:
            raise run.error
        if not run.claimed:  # a period of its own: only a second `--post` in the same second
            raise RuntimeError(f"digest period {period} is already being posted")
        print(f"digest posted to {job.channel}")
        return 0
    from bot.digest import dry_run_text  # noqa: PLC0415 - reads the sources, stores nothing

    job = digest_job(for_posting=False)
    print(dry_run_text(job, now), end="")
    return 0
