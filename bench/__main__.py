"""``python -m bench``: run every benchmark module (``bench/bench_*.py``), each printing result, baseline and ratio."""

from __future__ import annotations

import importlib
import platform
import sys
import time
from pathlib import Path


def machine() -> str:
    """A one-line description of this machine for the figures."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import os

    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def main(argv: list[str]) -> int:
    only = set(argv)
    names = sorted(p.stem for p in Path(__file__).parent.glob("bench_*.py"))
    print(f"machine: {machine()}")
    for name in names:
        if only and name not in only and name.removeprefix("bench_") not in only:
            continue
        print(f"\n=== {name}")
        started = time.perf_counter()
        importlib.import_module(f"bench.{name}").main()
        print(f"({name} took {time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
