"""What a person sees in the terminal: phases as they finish, the findings, one verdict line.

Colour only on a terminal without NO_COLOR. Text from the service is shown escaped of control
characters (a hostile body cannot move the cursor or rewrite lines).
"""

from __future__ import annotations

import os
import re
import sys
from typing import TextIO

from gate import __version__
from gate.findings import Finding, Severity
from gate.report.escape import shorten, strip_invisible
from gate.verdict.result import ScanResult

_SEV = {
    Severity.CRITICAL: "CRIT",
    Severity.HIGH: "HIGH",
    Severity.MEDIUM: "MED ",
    Severity.LOW: "LOW ",
    Severity.INFO: "INFO",
}
_COLOR = {
    "CRIT": "1;31",
    "HIGH": "31",
    "MED ": "33",
    "LOW ": "36",
    "INFO": "2",
    "ok": "32",
    "FAIL": "1;31",
    "PASS": "1;32",
    "ERROR": "1;35",
    "warn": "33",
}


def clean(text: str, limit: int = 160) -> str:
    """Untrusted text for a terminal: one line, no control characters (no escape sequences), shortened."""
    return shorten(strip_invisible(re.sub(r"[\t\r\n]+", " ", text)), limit)


class Console:
    def __init__(self, stream: TextIO | None = None, quiet: bool = False) -> None:
        self.out = stream or sys.stderr
        self.quiet = quiet
        self.color = self.out.isatty() and not os.environ.get("NO_COLOR")

    def _c(self, key: str, text: str) -> str:
        return f"\x1b[{_COLOR[key]}m{text}\x1b[0m" if self.color and key in _COLOR else text

    def line(self, text: str = "") -> None:
        if not self.quiet:
            print(text, file=self.out, flush=True)

    def header(self, target: str) -> None:
        self.line(f"authgate {__version__}  {target}")

    def phase_start(self, name: str) -> None:
        if self.color and not self.quiet:
            print(f"  ..  {name}", end="\r", file=self.out, flush=True)

    def phase_done(self, name: str, seconds: float, detail: str, ok: bool = True) -> None:
        mark = self._c("ok", " ok ") if ok else self._c("FAIL", "FAIL")
        clear = "\x1b[2K" if self.color else ""
        self.line(f"{clear}  {mark} {name:<38} {seconds:5.1f} s   {detail}")

    def warn(self, text: str) -> None:
        self.line(f"  {self._c('warn', 'warn')} {clean(text, 300)}")

    def finding(self, f: Finding) -> None:
        sev = _SEV[f.severity]
        who = f.who()
        where = f"{f.file}:{f.line}" if f.file else ""
        tag = "" if f.status == "new" else f" [{f.status}]"
        route, who, where = clean(f.route, 80), clean(who, 60), clean(where, 120)  # the service named its routes
        self.line(f"  {self._c(sev, sev)}  {f.check:<22} {f.method:<6} {route:<30} {who:<16} {where}{tag}")
        self.line(f"        proof: {clean(f.proof)}")

    def result(self, r: ScanResult, report_path: str | None) -> None:
        self.line()
        for f in r.findings:
            self.finding(f)
        if r.findings:
            self.line()
        for note in r.notes:
            self.line(f"  note: {clean(note, 300)}")
        self.coverage(r)
        v = r.verdict
        self.line(
            f"  score {v.score}/100 ({v.grade})   gate score {v.gate_score} vs threshold {r.threshold}   "
            f"{len(r.new)} new, {len(r.accepted)} accepted, {len(r.fixed)} fixed"
        )
        for reason in v.reasons[:8]:
            self.line(f"    - {clean(reason, 200)}")
        word = {"pass": "PASS", "fail": "FAIL"}.get(v.verdict, "ERROR")
        where = f"report: {report_path}   " if report_path else ""
        self.line(f"  {self._c(word, word)}  {where}{r.duration_s:.1f} s")

    def coverage(self, r: ScanResult) -> None:
        """`coverage 12/12 operations`, or that line and each operation no legitimate request reached."""
        counted = [e for e in r.coverage if not e.get("skipped")]
        if not counted:
            return
        self.line(f"  coverage {r.operations_reached}/{len(counted)} operations")
        for e in counted:
            if not e.get("reached"):
                why = e.get("reason") or f"answered {e.get('status')}"
                self.line(f"    not reached: {clean(str(e.get('operation')), 80)}  {clean(str(why), 200)}")

    def config_problems(self, problems: list[str]) -> None:
        """One line per problem, naming the key (`identities.bob.sub: Field required`), even when quiet."""
        for problem in problems:
            print(f"authgate: config: {clean(problem, 300)}", file=self.out, flush=True)

    def error(self, message: str, details: list[str]) -> None:
        self.line(f"  {self._c('ERROR', 'ERROR')}  could not scan: {clean(message, 300)}")
        for d in details:
            self.line(f"    | {clean(d, 300)}")
