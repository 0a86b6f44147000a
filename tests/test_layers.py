"""The layers of ARCHITECTURE.md, enforced: a module imports only from its own layer or below (issue 11).

Every module under `gate/` is parsed with `ast`; every import in it (module level and inside functions,
`import gate.x`, `from gate.x import y`, `from gate import x` where `x` is a module, relative imports)
is resolved to the module it names and compared by layer. A module that is in no layer fails too, so a
new module has to be placed in one.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

GATE = Path(__file__).resolve().parent.parent / "gate"

# Bottom to top. A key is a module (`gate.findings`) or a package prefix (`gate.dynamo.` takes the
# package and everything under it); the longest matching key wins.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "core",
        (
            "gate",
            "gate.findings",
            "gate.errors",
            "gate.config",
            "gate.config_doc",
            "gate.netutil",
            "gate.ports",
            "gate.proc",
        ),
    ),
    ("infrastructure", ("gate.dynamo.", "gate.target.", "gate.auth.", "gate.serverless.")),
    ("checks", ("gate.checks.",)),
    ("decision", ("gate.verdict.",)),
    ("output", ("gate.report.", "gate.publish.")),
    ("entry points", ("gate.scan", "gate.runner", "gate.cli", "gate.entry", "gate.action", "gate.init.")),
)
RANK = {name: rank for rank, (name, _) in enumerate(LAYERS)}

# Known upward imports, each to be removed by the change that fixes it (then delete its entry here).
ALLOWED: frozenset[tuple[str, str]] = frozenset()  # none left: issue 11 moved `cmd_merge` into gate/cli.py


def layer_of(module: str) -> str | None:
    best: tuple[int, str] | None = None
    for name, keys in LAYERS:
        for key in keys:
            package = key.endswith(".")
            hit = module.startswith(key) or module == key[:-1] if package else module == key
            if hit and (best is None or len(key) > best[0]):
                best = (len(key), name)
    return best[1] if best else None


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(name: str, root: Path) -> bool:
    """True when `name` (`gate.checks`) is a module or package in the tree rooted at `root` (gate/)."""
    rel = Path(*name.split(".")[1:]) if "." in name else Path()
    base = root / rel
    return (base / "__init__.py").is_file() or base.with_suffix(".py").is_file()


@dataclass(frozen=True, slots=True)
class Import:
    target: str  # the gate module imported
    line: int


def gate_imports(source: str, module: str, is_package: bool, root: Path) -> list[Import]:
    """Every import of a `gate` module in `source`, wherever it sits in the file."""
    found: list[Import] = []
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [Import(a.name, node.lineno) for a in node.names if a.name.split(".")[0] == "gate"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join([*base_parts, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            if base.split(".")[0] != "gate":
                continue
            # `from gate import checks` imports the module gate.checks, not the package gate
            subs = [f"{base}.{a.name}" for a in node.names if is_module(f"{base}.{a.name}", root)]
            found += [Import(t, node.lineno) for t in subs] or [Import(base, node.lineno)]
            if subs and len(subs) < len(node.names):
                found.append(Import(base, node.lineno))
    return found


@dataclass(frozen=True, slots=True)
class Violation:
    module: str
    target: str
    line: int
    detail: str

    def __str__(self) -> str:
        return f"{self.module} line {self.line}: imports {self.target} ({self.detail})"


def violations(root: Path) -> list[Violation]:
    out: list[Violation] = []
    for path in sorted(root.rglob("*.py")):
        module = module_name(path, root)
        own = layer_of(module)
        if own is None:
            out.append(Violation(module, "-", 0, "module in no layer: place it in LAYERS and ARCHITECTURE.md"))
            continue
        for imp in gate_imports(path.read_text(encoding="utf-8"), module, path.name == "__init__.py", root):
            theirs = layer_of(imp.target)
            if theirs is None:
                out.append(Violation(module, imp.target, imp.line, "imported module in no layer"))
            elif RANK[theirs] > RANK[own]:
                out.append(Violation(module, imp.target, imp.line, f"{own} imports from {theirs}, a layer above"))
    return out


def top_package(target: str) -> str:
    """`gate.report.markdown` -> `gate.report`: the allow-list names the package a module reaches into."""
    return ".".join(target.split(".")[:2])


def test_no_module_imports_from_a_layer_above() -> None:
    found = violations(GATE)
    unexpected = [v for v in found if (v.module, top_package(v.target)) not in ALLOWED]
    assert not unexpected, "\n".join(map(str, unexpected))


def test_allow_list_holds_only_live_violations() -> None:
    """An entry whose import is gone must be deleted, so the allow-list never hides a new violation."""
    live = {(v.module, top_package(v.target)) for v in violations(GATE)}
    assert live >= ALLOWED, f"stale allow-list entries: {sorted(ALLOWED - live)}"


def test_every_module_is_in_a_layer() -> None:
    modules = [module_name(p, GATE) for p in GATE.rglob("*.py")]
    assert modules and all(layer_of(m) for m in modules), [m for m in modules if layer_of(m) is None]


@pytest.mark.parametrize(
    ("module", "layer"),
    [
        ("gate", "core"),
        ("gate.findings", "core"),
        ("gate.dynamo", "infrastructure"),
        ("gate.dynamo.calls", "infrastructure"),
        ("gate.checks.static.source", "checks"),
        ("gate.verdict.merge", "decision"),
        ("gate.publish.github", "output"),
        ("gate.cli", "entry points"),
        ("gate.scanner", None),
        ("gate.dynamosaur", None),
    ],
)
def test_layer_of(module: str, layer: str | None) -> None:
    assert layer_of(module) == layer


def write(root: Path, rel: str, source: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")


def test_catches_every_form_of_upward_import(tmp_path: Path) -> None:
    """The checker itself, on a fake tree: it must not pass vacuously."""
    root = tmp_path / "gate"
    write(root, "__init__.py", "")
    write(root, "findings.py", "")
    write(root, "scan.py", "")
    write(root, "checks/__init__.py", "")
    write(root, "checks/bola.py", "from gate import findings\n")  # downward: fine
    write(root, "report/__init__.py", "")
    write(root, "report/markdown.py", "")
    write(root, "verdict/__init__.py", "")
    write(root, "verdict/scoring.py", "")
    write(root, "dynamo/__init__.py", "")
    write(
        root,
        "dynamo/calls.py",
        "import gate.checks.bola\n"
        "from gate.report.markdown import render\n"
        "from gate import scan, findings\n"
        "def lazy():\n"
        "    from ..verdict import scoring\n",
    )
    write(root, "stray.py", "")
    found = {(v.module, v.target, v.line) for v in violations(root)}
    assert found == {
        ("gate.dynamo.calls", "gate.checks.bola", 1),
        ("gate.dynamo.calls", "gate.report.markdown", 2),
        ("gate.dynamo.calls", "gate.scan", 3),
        ("gate.dynamo.calls", "gate.verdict.scoring", 5),
        ("gate.stray", "-", 0),
    }
