"""Statistics the checks need, written here because the gate ships no SciPy (a 100 MB dependency for
one test): the two-sided Mann-Whitney U test, exact for small samples without ties, otherwise the
normal approximation with tie correction (the same two methods as `scipy.stats.mannwhitneyu`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True, slots=True)
class MannWhitney:
    u: float  # U of the first sample: pairs (x, y) with x > y, ties counting one half
    p: float  # two-sided
    method: str
    n1: int
    n2: int

    @property
    def effect(self) -> float:
        """Probability of superiority: the share of cross pairs in which x is the larger."""
        return self.u / (self.n1 * self.n2)


@lru_cache(maxsize=64)
def _u_counts(n1: int, n2: int) -> tuple[int, ...]:
    """How many orderings of n1 x's and n2 y's give U = 0, 1, ..., n1*n2 (no ties)."""
    if n1 == 0 or n2 == 0:
        return (1,)
    a = _u_counts(n1 - 1, n2)  # the largest value is a y ... or an x, which beats all n2 y's
    b = _u_counts(n1, n2 - 1)
    out = [0] * (n1 * n2 + 1)
    for u, c in enumerate(b):
        out[u] += c
    for u, c in enumerate(a):
        out[u + n2] += c
    return tuple(out)


def _ranks(values: list[float]) -> tuple[list[float], list[int]]:
    """Mid-ranks (1-based) of `values`, and the sizes of the groups of ties."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    ties: list[int] = []
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        if j > i:
            ties.append(j - i + 1)
        i = j + 1
    return ranks, ties


def mann_whitney_u(x: list[float], y: list[float]) -> MannWhitney:
    """Two-sided Mann-Whitney U test of x against y."""
    n1, n2 = len(x), len(y)
    ranks, ties = _ranks(list(x) + list(y))
    u = sum(ranks[:n1]) - n1 * (n1 + 1) / 2
    if not ties and n1 * n2 <= 2500:
        counts = _u_counts(n1, n2)
        total = math.comb(n1 + n2, n1)
        k = round(u)
        low, high = sum(counts[: k + 1]) / total, sum(counts[k:]) / total
        return MannWhitney(u, min(1.0, 2 * min(low, high)), "exact", n1, n2)
    n = n1 + n2
    var = n1 * n2 / 12 * ((n + 1) - sum(t**3 - t for t in ties) / (n * (n - 1)))
    if var <= 0:
        return MannWhitney(u, 1.0, "normal approximation with tie correction", n1, n2)
    z = max(0.0, abs(u - n1 * n2 / 2) - 0.5) / math.sqrt(var)
    return MannWhitney(u, math.erfc(z / math.sqrt(2)), "normal approximation with tie correction", n1, n2)
