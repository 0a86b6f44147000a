"""Benchmark: wall time, phases, requests/s and peak memory of whole scans; scale; a peer.

Runs `authgate scan` on each target N times (default 5) as a user would, samples the resident
memory of the gate process and of the whole process tree (gate + DynamoDB Local JVM + service)
every 20 ms, then:
- the scale: services made by bench/gen.py with 2, 10 and 20 resources (10, 50 and 100 operations,
  shared key names), scanned in turn, with the cost per operation and whether every planted BOLA
  was found (and none on a correct resource);
- the fixed example with bcrypt cost 12 (bench/slow_hash.py): the identities phase against the
  same hashes made serially;
- the service's own rate on a GetItem route (one request in flight, a bounded loop), beside the
  requests/s the checks phase reached;
- Schemathesis (bench/peer.py) against the same running example;
and writes bench/RESULTS.md. Usage: python bench/run.py [--runs N] [--no-scale] [--no-peer] [TARGET ...]
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
from typing import Any

import slow_hash as slow_hash_mod

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


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def one_run(target: str) -> dict[str, Any]:
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
    peak = gate_peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss_kib(proc.pid))
        gate_peak = max(gate_peak, rss_kib(proc.pid))
        time.sleep(0.02)
    wall = time.monotonic() - t0
    report = json.loads(out.read_text())
    requests = report.get("stats", {}).get("requests", 0)
    checks = next((p["seconds"] for p in report.get("phases", []) if p["name"] == "checks"), 0.0)
    return {
        "wall_s": wall,
        "peak_mib": peak / 1024,
        "gate_mib": gate_peak / 1024,
        "phases": {
            p["name"].split(" ")[0] if p["name"].startswith("DynamoDB") else p["name"]: p["seconds"]
            for p in report.get("phases", [])
        },
        "report": report,
        "requests": requests,
        "requests_per_s": requests / checks if checks else 0.0,
        "findings": len(report["findings"]),
        "exit": proc.returncode,
    }


def _phases(runs: list[dict[str, Any]]) -> str:
    names = list(runs[0]["phases"])
    return ", ".join(f"{n.split(' (')[0]} {statistics.median(r['phases'].get(n, 0) for r in runs):.1f}" for n in names)


def examples(targets: list[str], n: int) -> list[str]:
    lines = [
        "| target | wall median (s) | wall min-max (s) | phases, median (s) | gate peak RSS (MiB) "
        "| tree peak RSS (MiB) | requests | requests/s (checks phase) | findings |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for target in targets:
        runs = [one_run(target) for _ in range(n)]
        walls = [r["wall_s"] for r in runs]
        row = (
            f"| `{target}` | {statistics.median(walls):.2f} | {min(walls):.2f}-{max(walls):.2f} | {_phases(runs)} | "
            f"{max(r['gate_mib'] for r in runs):.0f} | {statistics.median(r['peak_mib'] for r in runs):.0f} | "
            f"{runs[0]['requests']:.0f} | {statistics.median(r['requests_per_s'] for r in runs):.0f} | "
            f"{runs[0]['findings']:.0f} |"
        )
        lines.append(row)
        print(row, flush=True)
    return lines


def slow_hash(n: int) -> list[str]:
    """The identities phase with bcrypt cost 12 (bench/slow_hash.py), against the same hashes made serially."""
    where = slow_hash_mod.variant()
    serial = slow_hash_mod.serial_seconds(where)
    runs = [one_run(str(where)) for _ in range(n)]
    phase = statistics.median(
        next((v for k, v in r["phases"].items() if k.startswith("identities")), 0.0) for r in runs
    )
    row = (
        f"| profiles-fastapi-fixed, bcrypt cost 12 | {slow_hash_mod.HASHES} | {serial:.2f} | {phase:.2f} | "
        f"{statistics.median(r['wall_s'] for r in runs):.2f} | {runs[0]['findings']} |"
    )
    print(row, flush=True)
    return [
        "| service | hashes | serial hashing (s) | identities phase, median (s) | wall median (s) | findings |",
        "|---|---|---|---|---|---|",
        row,
        "",
        "The identities phase holds the hashing (one process of the service's interpreter, a thread per core: "
        "bcrypt lets go of the GIL) and the three logins, each of which costs the service one bcrypt check.",
    ]


def scale(n: int) -> list[str]:
    """10, 50 and 100 operations from bench/gen.py, scanned in turn; cost per operation; flaws found."""
    sizes = (2, 10, 20)
    dirs = {}
    for k in sizes:
        out = Path(tempfile.mkdtemp(prefix=f"authgate-gen{k}-")) / f"gen{k}"
        subprocess.run([sys.executable, str(ROOT / "bench" / "gen.py"), str(k), str(out)], check=True,
                       capture_output=True)  # fmt: skip
        dirs[k] = out
    walls: dict[int, list[float]] = {k: [] for k in sizes}
    last: dict[int, dict[str, Any]] = {}
    for _ in range(n):
        for k in sizes:
            r = one_run(str(dirs[k]))
            walls[k].append(r["wall_s"])
            last[k] = r
    lines = [
        "| operations | wall median (s) | ratio to 10 ops (pairwise median) | checks per operation (s) | gate peak "
        "RSS (MiB) | planted BOLA found | BOLA on correct resources |",
        "|---|---|---|---|---|---|---|",
    ]
    for k in sizes:
        ops = 5 * k + 1
        found = {(f["check"], f["route"].split("/")[1]) for f in last[k]["report"]["findings"]}
        planted = [(c, f"res{i}") for i in range(1, k, 2) for c in ("bola.read", "bola.write")]
        wrong = sorted({r for c, r in found if c.startswith("bola.") and int(r[3:]) % 2 == 0})
        ratio = statistics.median(b / a for a, b in zip(walls[sizes[0]], walls[k], strict=True))
        checks = last[k]["phases"].get("checks", 0.0)
        lines.append(
            f"| {ops} | {statistics.median(walls[k]):.2f} | {ratio:.2f} | {checks / ops:.3f} | "
            f"{last[k]['gate_mib']:.0f} | {sum(p in found for p in planted)}/{len(planted)} | {len(wrong)} |"
        )
        print(lines[-1], flush=True)
    return lines


def peer(example: str) -> list[str]:
    sys.path.insert(0, str(ROOT / "bench"))
    import peer as peer_mod

    mine = one_run(example)
    ours = sorted({f["check"] for f in mine["report"]["findings"]})
    with peer_mod.running(ROOT / example) as (base, _log):
        rate = peer_mod.own_rate(base, "/users/alice/profile")
    rows = peer_mod.run(ROOT / example)
    lines = [
        f"The service's own rate on `GET /users/alice/profile` (one GetItem; one request in flight, 2 s): "
        f"{rate:.0f} requests/s; authgate's checks phase: {mine['requests_per_s']:.0f} requests/s.",
        "",
        "| tool | wall (s) | requests | reports |",
        "|---|---|---|---|",
        f"| authgate | {mine['wall_s']:.1f} | {mine['requests']} | {len(mine['report']['findings'])} findings "
        f"({len(ours)} checks) |",
    ]
    for r in rows:
        lines.append(
            f"| Schemathesis {peer_mod.SCHEMATHESIS.split('==')[1]}, {r['run']} | {r['wall_s']:.1f} | {r['requests']} "
            f"| {', '.join(r['failures']) or 'no failure'} |"
        )
    lines += [
        "",
        "Schemathesis runs as one identity (alice) with every check on: what it can tell is that a response "
        "breaks the schema or a 5xx; it has no second identity, no view of DynamoDB, and does not know which "
        "answers are another identity's data, so none of authgate's authorization findings are among its "
        "reports.",
    ]
    return lines


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--no-scale", action="store_true")
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("targets", nargs="*", default=DEFAULT_TARGETS)
    args = ap.parse_args()
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}. "
        f"{args.runs} runs per target, whole `authgate scan` as a user runs it (DynamoDB Local start, "
        "service start, all checks, report). Peak memory: resident set of the gate process, and of the whole "
        "process tree (gate + JVM + service), sampled every 20 ms.",
        "",
        "## Examples",
        "",
        *examples(args.targets, args.runs),
    ]
    lines += ["", "## A slow password hash (bcrypt, cost 12)", "", *slow_hash(args.runs)]
    if not args.no_scale:
        lines += ["", "## Scale (bench/gen.py, shared key names)", "", *scale(max(1, min(args.runs, 3)))]
    if not args.no_peer:
        lines += ["", "## Schemathesis on the same example", "", *peer(DEFAULT_TARGETS[0])]
    (ROOT / "bench" / "RESULTS.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
