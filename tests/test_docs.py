"""The docs name every check id the registry has, and nothing the registry does not have."""

from __future__ import annotations

import re

from gate import checks
from tests.conftest import ROOT


def test_readme_lists_exactly_the_registered_check_ids() -> None:
    readme = (ROOT / "README.md").read_text()
    listed = set(re.findall(r"^\| `([a-z-]+\.[a-z0-9.-]+)` \|", readme, re.M))
    assert listed == set(checks.all_ids())
