"""The docs against the code: every registered check id and nothing else, only files that exist, every module."""

from __future__ import annotations

import re

import pytest

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


# The repository's own top-level folders and files: a backticked name starting with one is a path in it.
TOP = {p.name for p in ROOT.iterdir() if p.name not in (".git", "node_modules", ".ruff_cache")}


def named_paths(text: str) -> list[str]:
    """Backticked repository paths in a doc (`gate/dynamo/recorder.py`, `gate/checks/<family>.py`)."""
    return [n for n in re.findall(r"`([^`\s]+)`", text) if n.split("/")[0] in TOP and "/" in n]


def test_named_paths_are_repository_paths() -> None:
    text = "see `gate/checks/<family>.py`, `examples/workflows/`, `DIR/.authgate.yml`, `ghcr.io/x/y` and `tests`"
    assert named_paths(text) == ["gate/checks/<family>.py", "examples/workflows/"]


@pytest.mark.parametrize("doc", ["README.md", "ARCHITECTURE.md"])
def test_docs_name_only_files_that_exist(doc: str) -> None:
    """A doc that names files that no longer exist is worse than none (zizmor's development.md)."""
    names = named_paths((ROOT / doc).read_text())
    # `<family>` stands for any name: the pattern must match at least one file
    missing = [n for n in names if not any(ROOT.glob(re.sub(r"<[^>]+>", "*", n.rstrip("/"))))]
    assert names and not missing, f"{doc} names files that do not exist: {missing}"


def test_architecture_lists_every_module_once_with_what_it_is_for() -> None:
    """ARCHITECTURE.md's module list is the tree: a new module is documented, a removed one is dropped."""
    text = (ROOT / "ARCHITECTURE.md").read_text()
    listed = re.findall(r"^- `(gate/[\w/]+\.py)`: (.*)$", text, re.M)
    names = [name for name, _ in listed]
    tree = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "gate").rglob("*.py"))
    assert sorted(names) == tree, {
        "undocumented": sorted(set(tree) - set(names)),
        "gone": sorted(set(names) - set(tree)),
    }
    assert len(names) == len(set(names)), [n for n in names if names.count(n) > 1]
    assert all(what.strip() for _, what in listed)
