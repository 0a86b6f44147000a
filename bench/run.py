"""Benchmark: wall time, requests/s and peak memory of whole scans of the examples.

Runs `authgate scan` on each target N times (default 5) as a user would, samples the resident
memory of the whole process tree (gate + DynamoDB Local JVM + service) every 20 ms, and writes
bench/RESULTS.md. Usage: python bench/run.py [--runs N] [TARGET ...]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TARGETS = ["examples/profiles-fastapi", "examples/profiles-fastapi-fixed"]


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def tree_rss_kib(root: int) -> int:
    tree, total, stack = _children(), 0, [root]
    while stack:
        pid = stack.pop()
        stack.extend(tree.get(pid, []))
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def one_run(target: str) -> dict[str, float]:
    out = Path(tempfile.mkdtemp(prefix="authgate-bench-")) / "report.json"
    cli = str(Path(sys.executable).parent / "authgate")
    t0 = time.monotonic()
    proc = subprocess.Popen(
        [cli, "scan", target, "--output", str(out), "--quiet"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "NO_COLOR": "1"},
    )
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss_kib(proc.pid))
        time.sleep(0.02)
    wall = time.monotonic() - t0
    report = json.loads(out.read_text())
    requests = report.get("stats", {}).get("requests", 0)
    checks = next((p["seconds"] for p in report.get("phases", []) if p["name"] == "checks"), 0.0)
    return {
        "wall_s": wall,
        "peak_mib": peak / 1024,
        "requests": requests,
        "requests_per_s": requests / checks if checks else 0.0,
        "findings": len(report["findings"]),
        "exit": proc.returncode,
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("targets", nargs="*", default=DEFAULT_TARGETS)
    args = ap.parse_args()
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}. "
        f"{args.runs} runs per target, whole `authgate scan` as a user runs it (DynamoDB Local start, "
        "service start, all checks, report). Peak memory: resident set of the whole process tree "
        "(gate + JVM + service), sampled every 20 ms.",
        "",
        "| target | wall median (s) | wall min-max (s) | peak memory median (MiB) | requests | requests/s "
        "(checks phase) | findings |",
        "|---|---|---|---|---|---|---|",
    ]
    for target in args.targets:
        runs = [one_run(target) for _ in range(args.runs)]
        walls = [r["wall_s"] for r in runs]
        row = (
            f"| `{target}` | {statistics.median(walls):.2f} | {min(walls):.2f}-{max(walls):.2f} | "
            f"{statistics.median(r['peak_mib'] for r in runs):.0f} | {runs[0]['requests']:.0f} | "
            f"{statistics.median(r['requests_per_s'] for r in runs):.0f} | {runs[0]['findings']:.0f} |"
        )
        lines.append(row)
        print(row, flush=True)
    (ROOT / "bench" / "RESULTS.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
