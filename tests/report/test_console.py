"""The terminal output: what the service named (routes, log lines) cannot drive the terminal."""

from __future__ import annotations

import io

from gate.report.console import Console
from tests.factories import finding, result

HOSTILE = "/x\x1b]0;owned\x07\x1b[2J\x9b31m\r\n::error::pwned"


def test_a_hostile_route_and_proof_reach_the_terminal_inert() -> None:
    out = io.StringIO()
    f = finding(route=HOSTILE, message=HOSTILE)
    Console(stream=out).result(result([f]), None)
    text = out.getvalue()
    assert "\x1b" not in text and "\x9b" not in text and "\x07" not in text
    assert "\n::error::" not in text  # no line of ours starts with a workflow command
    assert "/x]0;owned[2J31m ::error::pwned" in text
