"""The baseline: findings a team accepted, by fingerprint, with a reason and an optional expiry.

File format (`.authgate-baseline.json`, sorted and diff-friendly):
  {"version": 1, "findings": [{"fingerprint": "v1:...", "check": "bola.read", "method": "GET",
    "route": "/users/{user_id}/profile", "severity": "high", "reason": "", "expires": "2027-01-31"}]}
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gate.errors import ScanError
from gate.findings import Finding

VERSION = 1


@dataclass(frozen=True, slots=True)
class Entry:
    fingerprint: str
    check: str
    method: str
    route: str
    severity: str
    reason: str = ""
    expires: str | None = None

    def active(self, today: dt.date) -> bool:
        return self.expires is None or dt.date.fromisoformat(self.expires) >= today

    def to_dict(self) -> dict[str, Any]:
        d = {
            "fingerprint": self.fingerprint,
            "check": self.check,
            "method": self.method,
            "route": self.route,
            "severity": self.severity,
            "reason": self.reason,
        }
        if self.expires:
            d["expires"] = self.expires
        return d


@dataclass(slots=True)
class Baseline:
    entries: dict[str, Entry] = field(default_factory=dict)
    path: Path | None = None


def load(path: Path) -> Baseline:
    if not path.exists():
        return Baseline(path=None)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ScanError(f"baseline {path}: not readable JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("version") != VERSION or not isinstance(doc.get("findings"), list):
        raise ScanError(f"baseline {path}: expected {{'version': 1, 'findings': [...]}}")
    entries: dict[str, Entry] = {}
    for i, raw in enumerate(doc["findings"]):
        try:
            e = Entry(
                fingerprint=raw["fingerprint"],
                check=raw["check"],
                method=raw.get("method", ""),
                route=raw.get("route", ""),
                severity=raw.get("severity", ""),
                reason=raw.get("reason", ""),
                expires=raw.get("expires"),
            )
            if e.expires:
                dt.date.fromisoformat(e.expires)
        except (KeyError, TypeError, ValueError) as exc:
            raise ScanError(f"baseline {path}: findings.{i}: {exc}") from None
        entries[e.fingerprint] = e
    return Baseline(entries=entries, path=path)


def apply(findings: list[Finding], base: Baseline, today: dt.date | None = None) -> tuple[list[Finding], list[Entry]]:
    """Mark accepted findings; return (findings with status, fixed entries no longer found)."""
    today = today or dt.date.today()
    out = [
        f.with_status("accepted" if (e := base.entries.get(f.fingerprint)) and e.active(today) else "new")
        for f in findings
    ]
    found = {f.fingerprint for f in findings}
    fixed = sorted((e for fp, e in base.entries.items() if fp not in found), key=lambda e: e.fingerprint)
    return out, fixed


def render(findings: list[Finding], previous: Baseline | None = None) -> str:
    """The baseline file for these findings; reasons and expiries already written are kept."""
    old = previous.entries if previous else {}
    entries = {}
    for f in findings:
        prev = old.get(f.fingerprint)
        entries[f.fingerprint] = Entry(
            fingerprint=f.fingerprint,
            check=f.check,
            method=f.method,
            route=f.route,
            severity=f.severity.label,
            reason=prev.reason if prev else "",
            expires=prev.expires if prev else None,
        )
    rows = [entries[k].to_dict() for k in sorted(entries, key=lambda k: (entries[k].check, entries[k].route, k))]
    return json.dumps({"version": VERSION, "findings": rows}, indent=2, sort_keys=True) + "\n"
