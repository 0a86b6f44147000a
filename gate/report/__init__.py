"""Reporters: `render(result) -> str`, registered by format name. They only render.

The JSON report is the contract; the other formats are made from the same ScanResult, whose
verdict already names the findings that block the gate: a reporter decides nothing.

No `from __future__ import annotations` here, unlike everywhere else: it would bind the name
`annotations` in this package to a `__future__` feature, and `from gate.report import annotations`
would then return that instead of the annotations reporter.
"""

import importlib
from collections.abc import Callable

from gate.verdict.result import ScanResult

Renderer = Callable[[ScanResult], str]
FORMATS: dict[str, str] = {  # format -> module under gate.report
    "json": "json_report",
    "markdown": "markdown",
    "sarif": "sarif",
    "annotations": "annotations",
    "check-run": "check_run",
}


def renderer(fmt: str) -> Renderer:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (one of {', '.join(sorted(FORMATS))})")
    mod = importlib.import_module(f"gate.report.{FORMATS[fmt]}")
    return mod.render  # type: ignore[no-any-return]


def write(fmt: str, result: ScanResult, path: str) -> None:
    """Render `result` as `fmt` into `path` ('-' is stdout). OSError when the file cannot be written."""
    import sys
    from pathlib import Path

    text = renderer(fmt)(result)
    if path == "-":
        sys.stdout.write(text)
    else:
        Path(path).write_text(text, encoding="utf-8")
