"""The Mann-Whitney U test behind enumeration.timing (gate/checks/stats.py)."""

from __future__ import annotations

import math

import pytest

from gate.checks.stats import mann_whitney_u


# -- Mann-Whitney U ----------------------------------------------------------------------------
def test_mann_whitney_exact_p_values() -> None:
    t = mann_whitney_u([1, 2, 3], [4, 5, 6])
    assert (t.u, t.method) == (0, "exact") and t.p == pytest.approx(0.1)  # 2 of C(6,3) = 20 orderings
    t = mann_whitney_u([10.0 + i for i in range(8)], [1.0 + i / 10 for i in range(8)])
    assert t.u == 64 and t.effect == 1 and t.p == pytest.approx(2 / math.comb(16, 8))
    t = mann_whitney_u([1, 4, 5, 8], [2, 3, 6, 7])  # interleaved: no evidence at all
    assert t.u == 8 and t.p == pytest.approx(1.0)


def test_mann_whitney_with_ties_uses_the_corrected_normal_approximation() -> None:
    t = mann_whitney_u([5.0] * 10, [5.0] * 10)
    assert t.method.startswith("normal approximation") and t.p == pytest.approx(1.0)
    t = mann_whitney_u([9.0, 9.0, 8.0, 9.5] * 4, [1.0, 1.0, 2.0, 1.5] * 4)
    assert t.p < 0.001 and t.effect == 1


def test_one_slow_request_is_not_a_timing_difference() -> None:
    fast = [3.0, 3.2, 2.9, 3.1, 3.0, 3.3, 2.8, 3.1]
    t = mann_whitney_u([*fast[:7], 400.0], [3.1, 3.0, 2.9, 3.2, 3.0, 3.1, 3.2, 2.9])
    assert t.p > 0.05
