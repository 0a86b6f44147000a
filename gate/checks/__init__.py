"""Checks: one module per family, registered by decorator into one registry keyed by check id.

A family runner is an async generator `run(ctx) -> AsyncIterator[Finding]`; it may yield findings
of several check ids of its family (bola.read, bola.write, bola.list). A duplicate id, or a
`checks.exclude` entry that names no id or family, is an error, never a silent no-op.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gate.findings import CheckMeta, Finding

if TYPE_CHECKING:
    from gate.checks.context import ScanContext

Runner = Callable[["ScanContext"], AsyncIterator[Finding]]


@dataclass(frozen=True, slots=True)
class Family:
    name: str
    metas: tuple[CheckMeta, ...]
    run: Runner
    order: int  # lower runs first; destructive families run last


REGISTRY: dict[str, CheckMeta] = {}
FAMILIES: dict[str, Family] = {}


def register(*metas: CheckMeta, order: int = 50) -> Callable[[Runner], Runner]:
    def deco(fn: Runner) -> Runner:
        family = metas[0].family
        for meta in metas:
            if meta.id in REGISTRY:
                raise RuntimeError(f"duplicate check id {meta.id}")
            if meta.family != family:
                raise RuntimeError(f"{meta.id}: one runner serves one family ({family})")
            REGISTRY[meta.id] = meta
        if family in FAMILIES:
            raise RuntimeError(f"duplicate check family {family}")
        FAMILIES[family] = Family(name=family, metas=metas, run=fn, order=order)
        return fn

    return deco


_loaded = False
_NOT_FAMILIES = ("context", "util", "access_profile", "coverage", "static")


def load_all() -> None:
    """Import every check module once (static checks included) so they register."""
    global _loaded
    if _loaded:
        return
    for pkg_name in ("gate.checks", "gate.checks.static"):
        pkg = importlib.import_module(pkg_name)
        for mod in pkgutil.iter_modules(pkg.__path__):
            if not mod.name.startswith("_") and mod.name not in (
                "context",
                "util",
                "access_profile",
                "coverage",
                "static",
            ):
                importlib.import_module(f"{pkg_name}.{mod.name}")
    _loaded = True


def all_ids() -> list[str]:
    load_all()
    return sorted(REGISTRY)


def resolve_excludes(exclude: list[str]) -> set[str]:
    """Check ids excluded by `checks.exclude`; unknown names raise ValueError naming them."""
    load_all()
    out: set[str] = set()
    unknown: list[str] = []
    for name in exclude:
        if name in REGISTRY:
            out.add(name)
        elif name in FAMILIES:
            out.update(m.id for m in FAMILIES[name].metas)
        else:
            unknown.append(name)
    if unknown:
        raise ValueError(", ".join(unknown))
    return out
