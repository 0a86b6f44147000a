"""The docs name every check id the registry has, and nothing the registry does not have."""

from __future__ import annotations

import re

from gate import checks
from tests.conftest import ROOT


def test_readme_lists_exactly_the_registered_checks_under_their_anchors() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("\n## Checks\n") :]
    section = section[: section.index("\n## ", 1)]
    rows = re.findall(r"^\| <a id=.*$", section, re.M)
    want = [
        f'| <a id="{m.anchor}"></a>`{m.id}` | {m.severity.label} | {", ".join(m.cwe)} | {", ".join(m.owasp)} '
        f"| {m.description} |"
        for m in (checks.REGISTRY[i] for i in checks.all_ids())
    ]
    assert rows == want  # one row per check id, sorted, with the registry's metadata and description
    assert len({checks.REGISTRY[i].anchor for i in checks.all_ids()}) == len(want)


def test_readme_carries_the_generated_configuration_reference() -> None:
    from gate.config_doc import reference_markdown, rows

    readme = (ROOT / "README.md").read_text()
    start, end = "<!-- config-reference:start -->\n", "<!-- config-reference:end -->"
    table = readme[readme.index(start) + len(start) : readme.index(end)]
    assert table == reference_markdown(), "run `authgate schema --markdown` and paste it into the README"
    keys = [path for path, *_ in rows()]
    assert {"service.command", "auth.login.path", "identities.<name>.sub", "gate.timeout"} <= set(keys)
    assert all(meaning for *_, meaning in rows())  # every key says what it is for


def test_docs_point_only_at_files_a_user_has() -> None:
    for doc in ("README.md", "ARCHITECTURE.md"):
        assert "../shared" not in (ROOT / doc).read_text(), doc
