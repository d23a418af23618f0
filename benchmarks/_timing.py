"""What the timing benchmarks share: the machine line they open with, and how they judge a figure
against its target."""

from __future__ import annotations

import os
import sys


def machine() -> str:
    """The CPUs, the load and the bytecode cache: what makes one run's figures differ from
    another's on the same code."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"machine: {os.cpu_count()} CPUs, load average {load:.2f}; bytecode cache "
        f"{'off (PYTHONDONTWRITEBYTECODE)' if sys.flags.dont_write_bytecode else 'on'}"
    )


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def mark(ok: bool, miss: str) -> str:
    return "ok" if ok else miss
