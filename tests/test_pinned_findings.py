"""The examples' findings and fingerprints, pinned: a change to either is deliberate.

`tests/data/pinned-findings.json` was written from the scans of `main` before the checks were
reshaped (issue "One shape for every check"); a reshaping keeps behaviour, so every check id and
fingerprint stays, and the fixed twins stay at zero. When a change is meant (a new check, a new
flaw in an example), regenerate the file from the new scans and say why in the commit.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

PINNED = json.loads((Path(__file__).parent / "data" / "pinned-findings.json").read_text())


def _got(report: dict) -> list[dict]:
    return sorted(
        (
            {
                "check": f["check"],
                "fingerprint": f["fingerprint"],
                "operation": f"{f['method']} {f['route']}".strip(),
                "identity": f["identity"],
            }
            for f in report["findings"]
        ),
        key=lambda d: (d["check"], d["fingerprint"]),
    )


@pytest.mark.parametrize(
    ("example", "fixture"),
    [
        ("profiles-fastapi", "vulnerable_report"),
        ("profiles-fastapi-fixed", "fixed_report"),
        ("users-flask", "flask_report"),
        ("users-flask-fixed", "flask_fixed_report"),
    ],
)
def test_example_findings_and_fingerprints_are_pinned(
    example: str, fixture: str, request: pytest.FixtureRequest
) -> None:
    code, report, output = request.getfixturevalue(fixture)
    assert report, output
    assert code == (1 if PINNED[example] else 0), output
    assert _got(report) == PINNED[example]
