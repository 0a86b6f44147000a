"""Where a finding is, as GitHub wants it: a path relative to the repository root.

Findings carry `file` relative to the scanned service directory; the report keeps that directory
as given on the command line, which in CI is relative to the repository root (the working
directory). A finding whose handler was not located points at the service's config file, line 1,
and says so: GitHub needs a location for every SARIF result and annotation.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from gate.findings import Finding
from gate.verdict.result import ScanResult


@dataclass(frozen=True, slots=True)
class Location:
    path: str  # POSIX, relative to the repository root when it can be; absolute otherwise
    line: int
    located: bool  # False: the handler was not found; `path` is the config file

    @property
    def relative(self) -> bool:
        return not PurePosixPath(self.path).is_absolute()


def repo_path(service: str, file: str, cwd: Path | None = None) -> str:
    """`file` (relative to `service`) as a normalised POSIX path relative to `cwd` when inside it."""
    base = (cwd or Path.cwd()).resolve()
    joined = Path(file) if Path(file).is_absolute() else Path(service) / file
    if joined.is_absolute():
        try:
            joined = joined.resolve().relative_to(base)
        except ValueError:
            return joined.resolve().as_posix()
    norm = os.path.normpath(joined.as_posix()).replace(os.sep, "/")
    return norm if not norm.startswith("../") else (base / norm).resolve().as_posix()


def locate(result: ScanResult, f: Finding, cwd: Path | None = None) -> Location:
    if f.file:
        return Location(repo_path(result.service, f.file, cwd), f.line or 1, True)
    return Location(repo_path(result.service, result.config, cwd), 1, False)


UNLOCATED = "the handler was not located in the source, so this points at the service's config file"
