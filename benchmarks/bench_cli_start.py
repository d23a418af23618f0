"""How long the `ftscope` commands that never talk to Claude take, as whole processes.

Each command runs as a user runs it (the installed console script, a subprocess), the commands
taking turns so a busy machine slows them alike; the figure is the median wall time, with the
median CPU time (user + system) of the process beside it, which a loaded machine inflates less.

- `ftscope --help`: Python, argparse and the command modules.
- `ftscope decide examples/acme-ticket-routing.json`: in an empty folder, DATABASE_URL unset
  (the shipped sheet, no database: the common case).
- `ftscope prices history` and `ftscope digest --dry-run`: against a SQLite database in a
  folder of their own, created by the first, uncounted run.

What a user sees from the second run on: the project's own modules compiled to bytecode. An
installed package or the Docker image has its bytecode; an editable checkout writes it on the
first run, unless PYTHONDONTWRITEBYTECODE is set (as in some dev shells), and then every run
compiles the modules it imports again (10-80 ms more a command here, the digest the most). So
the commands run without PYTHONDONTWRITEBYTECODE, and each runs once, uncounted, before the
counted runs: that run writes the bytecode (and creates the database). Nothing else is warmed
or left out: every counted run is a new process that imports everything it needs.

Run: python benchmarks/bench_cli_start.py [--runs 7]
Target: each under 500 ms median. None of them imports the bot (Bolt, slack_sdk, APScheduler,
the Anthropic SDK, the conversation); `--help` not even the decision engine, the database
commands Alembic only when the schema has to change (bot/store_setup.py), `prices history` not
the engine nor pydantic-settings, and no command the HTTP client unless a price source is a URL
(tests/bot/test_cli.py pins these). What `prices history` takes is nearly all importing
SQLAlchemy and SQLModel (the storage layer): `python -c "import sqlmodel"` alone is ~0.35 s on
this machine, so it sits just under the target. `digest --dry-run` adds the engine,
pydantic-settings, Jinja (and compiling its two templates, ~20 ms), the HTTP client and an SSL
context for the default LiteLLM URL (~20 ms; offline the read fails at once), and the offline
reader, which only bot/outcome.py's annotations import (README: Command-line start): it stays
~0.15 s above the target.
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


def bytecode_written(env: dict[str, str], folder: Path) -> bool:
    """Whether the commands' modules now have their bytecode (a read-only checkout has none)."""
    probe = (
        "import importlib.util, os, bot.cli, bot.digest, bot.storage, knowledge\n"
        "modules = (bot.cli, bot.digest, bot.storage, knowledge)\n"
        "print(all(os.path.exists(importlib.util.cache_from_source(m.__file__)) "
        "for m in modules))\n"
    )
    command = [sys.executable, "-c", probe]
    done = subprocess.run(command, check=False, capture_output=True, text=True, cwd=folder, env=env)
    return done.stdout.strip() == "True"


def measure(runs: int) -> dict[str, tuple[list[float], list[float]]]:
    ftscope = shutil.which("ftscope", path=str(Path(sys.executable).parent)) or "ftscope"
    # the project's bytecode is written by the warm-up run and read by the counted ones
    skipped = {"DATABASE_URL", "PYTHONDONTWRITEBYTECODE"}
    plain = {k: v for k, v in os.environ.items() if k.upper() not in skipped}
    results: dict[str, tuple[list[float], list[float]]] = {n: ([], []) for n, *_ in COMMANDS}
    with tempfile.TemporaryDirectory(prefix="ftscope-bench-") as top:
        empty, bot = Path(top, "empty"), Path(top, "bot")
        empty.mkdir()
        bot.mkdir()
        env = {**plain, "DATABASE_URL": f"sqlite:///{bot / 'ftscope.db'}"}
        runs_in = {True: (bot, env), False: (empty, plain)}
        for _, argv, database in COMMANDS:  # bytecode, the database, the file cache
            run([ftscope, *argv], *runs_in[database])
        if not bytecode_written(plain, empty):
            print("warning: the project's bytecode could not be written: every run compiles it")
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
        f"machine: {os.cpu_count()} CPUs, load average {load:.2f}; the project's bytecode "
        "compiled by an uncounted first run of each command (PYTHONDONTWRITEBYTECODE unset "
        "for the commands)"
    )
    for name, (walls, cpus) in measure(args.runs).items():
        median = statistics.median(walls)
        verdict = "ok" if median < TARGET_MS else "ABOVE TARGET"
        print(
            f"{name:<50} median {median:4.0f} ms [{verdict}, target {TARGET_MS}], "
            f"min {min(walls):4.0f} ms, CPU {statistics.median(cpus):4.0f} ms ({args.runs} runs)"
        )
    if hasattr(os, "getloadavg"):
        print(f"load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
