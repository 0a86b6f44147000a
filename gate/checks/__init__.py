"""Checks: one module per family, listed once, in run order, in `FAMILIES`.

Each family module declares its `FamilyMeta` once and its checks through `family.check(...)`,
and ends with `FAMILY`: a `PerOperation` family (probes the engine runs on every operation they
fit, see gate.checks.engine) or a `ScanWide` one (its own `run(ctx)`). The static family lists
its source rules in gate/checks/static/__init__.py. `REGISTRY` holds every check id; a duplicate
id, or a `checks.exclude` entry that names no id or family, is an error, never a silent no-op.
"""

from __future__ import annotations

from gate.checks import (
    account_state,
    authn,
    bfla,
    bola,
    enumeration,
    errors,
    exposure,
    jwt,
    mass_assignment,
    rate_limit,
    secrets_in_logs,
    static,
)
from gate.checks.engine import Family
from gate.findings import CheckMeta

# Run order. The source first (it sends nothing); requests before the families that write (bola.write,
# mass-assignment) or log in and change accounts (account-state, rate-limit); secrets-in-logs last, when
# every credential has been used. The order also decides which of two findings with one fingerprint is kept.
FAMILIES: tuple[Family, ...] = (
    static.FAMILY,
    authn.FAMILY,
    jwt.FAMILY,
    bola.FAMILY,
    bfla.FAMILY,
    exposure.FAMILY,
    mass_assignment.FAMILY,
    errors.FAMILY,
    account_state.FAMILY,
    enumeration.FAMILY,
    rate_limit.FAMILY,
    secrets_in_logs.FAMILY,
)


def _index(families: tuple[Family, ...]) -> dict[str, CheckMeta]:
    out: dict[str, CheckMeta] = {}
    names = [f.name for f in families]
    if len(set(names)) != len(names):
        raise RuntimeError(f"duplicate check family in {names}")
    for fam in families:
        for meta in fam.checks:
            if meta.id in out:
                raise RuntimeError(f"duplicate check id {meta.id}")
            if meta.family != fam.name:
                raise RuntimeError(f"{meta.id}: listed in family {fam.name}")
            out[meta.id] = meta
    return out


REGISTRY: dict[str, CheckMeta] = _index(FAMILIES)


def all_ids() -> list[str]:
    return sorted(REGISTRY)


def resolve_excludes(exclude: list[str]) -> set[str]:
    """Check ids excluded by `checks.exclude`; unknown names raise ValueError naming them."""
    families = {f.name: f for f in FAMILIES}
    out: set[str] = set()
    unknown: list[str] = []
    for name in exclude:
        if name in REGISTRY:
            out.add(name)
        elif name in families:
            out.update(m.id for m in families[name].checks)
        else:
            unknown.append(name)
    if unknown:
        raise ValueError(", ".join(unknown))
    return out
