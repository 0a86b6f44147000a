"""Fuzzing the config loader: whatever `.authgate.yml` holds, only a ConfigError comes out (issue 12).

`make test` runs a few hundred examples; `make fuzz` (AUTHGATE_FUZZ_EXAMPLES) many more.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gate.config import ConfigError, load_config

EXAMPLES = int(os.environ.get("AUTHGATE_FUZZ_EXAMPLES", "300"))

# Fragments of YAML that reach PyYAML's and pydantic's odd corners: tags, anchors and aliases, complex
# keys, flow collections, timestamps, huge or malformed numbers, the config's own keys.
FRAGMENTS = [
    "version: 1\n",
    "service:\n",
    "  command: 'x {port}'\n",
    "identities: {a: {sub: a}, b: {sub: b}}\n",
    "gate: {threshold: ",
    "}\n",
    "fixtures: [{table: t, item: {",
    "}}]\n",
    "? ",
    ": ",
    "- ",
    "[",
    "]",
    "{",
    "}",
    ",",
    "&a ",
    "*a ",
    "!!int ",
    "!!float ",
    "!!bool ",
    "!!timestamp ",
    "!!binary ",
    "!!set ",
    "!!omap ",
    "!!python/tuple ",
    "!x ",
    "<<: ",
    "2020-13-45",
    "1e999",
    "0x",
    "9" * 5000,
    "nope",
    "~",
    "'",
    '"',
    "\\",
    "\n",
    "  ",
    "\t",
    "#",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "|\n",
    ">\n",
    "\x00",
    "\ufeff",
]
texts = st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join)
blobs = st.one_of(texts.map(str.encode), st.binary(max_size=300), st.text(max_size=300).map(str.encode))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(blobs)
def test_the_loader_raises_nothing_but_a_one_line_config_error(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / ".authgate.yml"
        path.write_bytes(data)
        try:
            load_config(path)
        except ConfigError as exc:
            assert exc.problems and all(len(p) <= 300 and "\n" not in p for p in exc.problems)
