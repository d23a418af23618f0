"""How long the `ftscope` commands that never talk to Claude take, as whole processes.

Each command runs as a user runs it (the installed console script, a subprocess), the commands
taking turns so a busy machine slows them alike; the figure is the median wall time, with the
median CPU time (user + system) of the process beside it, which a loaded machine inflates less.

- `ftscope --help`: Python, argparse and the command modules.
- `ftscope decide examples/acme-ticket-routing.json`: in an empty folder, DATABASE_URL unset
  (the shipped sheet, no database: the common case).
- `ftscope prices history` and `ftscope digest --dry-run`: against a SQLite database in a
  folder of their own, created by the first, uncounted run.

Run: python benchmarks/bench_cli_start.py [--runs 7]
Target: each under 500 ms median. None of them imports the bot (Bolt, slack_sdk, APScheduler,
the Anthropic SDK, the conversation); `--help` not even the decision engine, the database
commands Alembic only when the schema has to change (bot/store_setup.py), `prices history` not
pydantic-settings. What is left for the two database commands is mostly importing SQLAlchemy
and SQLModel (the storage layer): about 0.45 s on this machine on its own
(`python -X importtime`), so they stay above the target.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "examples" / "acme-ticket-routing.json"
TARGET_MS = 500
# (what is printed, the arguments, whether it runs against the database folder)
COMMANDS = (
    ("ftscope --help", ["--help"], False),
    ("ftscope decide examples/acme-ticket-routing.json", ["decide", str(EXAMPLE)], False),
    ("ftscope prices history", ["prices", "history"], True),
    ("ftscope digest --dry-run", ["digest", "--dry-run"], True),
)


def child_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(command: list[str], folder: Path, env: dict[str, str]) -> None:
    done = subprocess.run(command, check=False, capture_output=True, text=True, cwd=folder, env=env)
    if done.returncode != 0:  # a figure of a failing command would mean nothing
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        sys.exit(f"{' '.join(command[1:])} exited {done.returncode}: {last}")


def timed(command: list[str], folder: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall ms, CPU ms) of one run."""
    cpu, start = child_cpu_s(), time.perf_counter()
    run(command, folder, env)
    return (time.perf_counter() - start) * 1000, (child_cpu_s() - cpu) * 1000


def measure(runs: int) -> dict[str, tuple[list[float], list[float]]]:
    ftscope = shutil.which("ftscope", path=str(Path(sys.executable).parent)) or "ftscope"
    plain = {k: v for k, v in os.environ.items() if k.upper() != "DATABASE_URL"}
    results: dict[str, tuple[list[float], list[float]]] = {n: ([], []) for n, *_ in COMMANDS}
    with tempfile.TemporaryDirectory(prefix="ftscope-bench-") as top:
        empty, bot = Path(top, "empty"), Path(top, "bot")
        empty.mkdir()
        bot.mkdir()
        env = {**plain, "DATABASE_URL": f"sqlite:///{bot / 'ftscope.db'}"}
        runs_in = {True: (bot, env), False: (empty, plain)}
        for _, argv, database in COMMANDS:  # creates the database, warms the file cache
            run([ftscope, *argv], *runs_in[database])
        for _ in range(runs):
            for name, argv, database in COMMANDS:
                wall, cpu = timed([ftscope, *argv], *runs_in[database])
                results[name][0].append(wall)
                results[name][1].append(cpu)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"machine: {os.cpu_count()} CPUs, load average {load:.2f}; bytecode cache "
        f"{'off (PYTHONDONTWRITEBYTECODE)' if sys.flags.dont_write_bytecode else 'on'}"
    )
    for name, (walls, cpus) in measure(args.runs).items():
        median = statistics.median(walls)
        verdict = "ok" if median < TARGET_MS else "ABOVE TARGET"
        print(
            f"{name:<50} median {median:4.0f} ms [{verdict}, target {TARGET_MS}], "
            f"min {min(walls):4.0f} ms, CPU {statistics.median(cpus):4.0f} ms ({args.runs} runs)"
        )


if __name__ == "__main__":
    main()
