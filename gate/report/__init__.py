"""Reporters: `render(result) -> str`, registered by format name. They only render.

The JSON report is the contract; the other formats are made from the same ScanResult.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from gate.result import ScanResult

Renderer = Callable[[ScanResult], str]
FORMATS: dict[str, str] = {  # format -> module under gate.report
    "json": "json_report",
    "markdown": "markdown",
    "sarif": "sarif",
    "annotations": "annotations",
}


def renderer(fmt: str) -> Renderer:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (one of {', '.join(sorted(FORMATS))})")
    mod = importlib.import_module(f"gate.report.{FORMATS[fmt]}")
    return mod.render  # type: ignore[no-any-return]
