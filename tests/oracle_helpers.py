"""Helpers for the oracle tests: pick findings out of a JSON report by check and operation."""

from __future__ import annotations


def keys(report: dict) -> set[tuple[str, str, str | None]]:
    """(check id, operation, identity) of every finding."""
    return {(f["check"], f"{f['method']} {f['route']}", f["identity"]) for f in report["findings"]}


def finding(report: dict, check: str, operation: str) -> dict:
    """The one finding of `check` on `operation` (fails the test with the report's keys otherwise)."""
    hits = [f for f in report["findings"] if f["check"] == check and f"{f['method']} {f['route']}" == operation]
    assert len(hits) == 1, (check, operation, sorted(keys(report)))
    return hits[0]


def of_family(report: dict, family: str) -> set[tuple[str, str, str | None]]:
    return {k for k in keys(report) if k[0].split(".")[0] == family}
