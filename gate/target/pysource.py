"""The service's Python source, read without running it: its files, parsed modules, AST helpers.

Shared by the route map (`gate.target.routes`) and the static checks (`gate.checks.static`).
The service's code is untrusted: it is parsed with `ast` only, never imported, and bounded in
files, bytes per file and nesting depth.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

MAX_FILES = 2000  # a service bigger than this is scanned in part; the bound keeps a run finite
MAX_BYTES = 1_000_000
# Real code nests below ~70 levels; deeper trees (crafted to exhaust recursion in the gate) are not read.
MAX_DEPTH = 150
SKIP_DIRS = {
    "tests",
    "test",
    "node_modules",
    "site-packages",
    "__pycache__",
    "venv",
    "env",
    "virtualenv",
    "build",
    "dist",
}


# -- the files of a service ---------------------------------------------------------------------


def is_test_file(name: str) -> bool:
    return name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"


def _skip_dir(path: Path) -> bool:
    name = path.name
    return name in SKIP_DIRS or name.startswith(".") or (path / "pyvenv.cfg").exists()


def python_files(workdir: Path) -> list[Path]:
    """The service's own Python files: no tests, virtualenvs, node_modules or hidden folders."""
    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(workdir):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not _skip_dir(here / d))
        for name in sorted(filenames):
            if name.endswith(".py") and not is_test_file(name):
                path = here / name
                try:
                    if path.stat().st_size <= MAX_BYTES:
                        out.append(path)
                except OSError:
                    continue
                if len(out) >= MAX_FILES:
                    return out
    return out


def relative(path: Path, root: Path) -> str:
    """`path` relative to the scan target root, POSIX style (what reports and annotations use)."""
    return Path(os.path.relpath(path, root)).as_posix()


# -- parsed modules -----------------------------------------------------------------------------


@dataclass
class Module:
    name: str  # dotted, relative to the workdir (`routers.users`)
    path: Path
    rel: str  # relative to the scan root
    text: str
    tree: ast.Module
    is_package: bool
    imports: dict[str, str] = field(default_factory=dict)  # local name -> absolute dotted target

    @property
    def package(self) -> str:
        return self.name if self.is_package else self.name.rpartition(".")[0]


def _imports(mod: Module) -> dict[str, str]:
    out: dict[str, str] = {}
    for node in ast.walk(mod.tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    out[a.asname] = a.name
                else:
                    top = a.name.split(".")[0]
                    out[top] = top
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = mod.package.split(".") if mod.package else []
                up = pkg[: len(pkg) - (node.level - 1)] if node.level > 1 else pkg
                base = ".".join([*up, base] if base else up)
            for a in node.names:
                if a.name != "*":
                    out[a.asname or a.name] = f"{base}.{a.name}" if base else a.name
    return out


def _depth(tree: ast.AST) -> int:
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, d = stack.pop()
        deepest = max(deepest, d)
        if d <= MAX_DEPTH:
            stack.extend((child, d + 1) for child in ast.iter_child_nodes(node))
    return deepest


def module_name(path: Path, base: Path) -> tuple[str, bool]:
    """The dotted name `path` has when `base` is on `sys.path`, and whether it is a package."""
    parts = list(path.relative_to(base).with_suffix("").parts)
    is_pkg = parts[-1] == "__init__"
    if is_pkg:
        parts = parts[:-1]
    return ".".join(parts), is_pkg


def parse_file(path: Path, root: Path, name: str, is_package: bool) -> Module | str:
    """One module of the service parsed (within the bounds), or the one line that says why it was not."""
    rel = relative(path, root)
    try:
        if path.stat().st_size > MAX_BYTES:
            return f"{rel}: not read (larger than {MAX_BYTES} bytes)"
        text = path.read_text(encoding="utf-8", errors="replace")
        tree = ast.parse(text, filename=rel)
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return f"{rel}: not parsed ({type(exc).__name__}: line {getattr(exc, 'lineno', '?')})"
    if _depth(tree) > MAX_DEPTH:
        return f"{rel}: not read (nested deeper than {MAX_DEPTH} levels)"
    mod = Module(name=name, path=path, rel=rel, text=text, tree=tree, is_package=is_package)
    mod.imports = _imports(mod)
    return mod


def parse_modules(workdir: Path, root: Path) -> tuple[list[Module], list[str]]:
    """Every parseable module under `workdir`, and one line per file that could not be parsed."""
    mods: list[Module] = []
    problems: list[str] = []
    for path in python_files(workdir):
        got = parse_file(path, root, *module_name(path, workdir))
        if isinstance(got, str):
            problems.append(got)
        else:
            mods.append(got)
    return mods, problems


def iter_functions(tree: ast.AST, prefix: str = "") -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """(qualname, node) for every function, nested ones and methods included."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            q = f"{prefix}{node.name}"
            yield q, node
            yield from iter_functions(node, q + ".")
        elif isinstance(node, ast.ClassDef):
            yield from iter_functions(node, f"{prefix}{node.name}.")
        else:
            yield from iter_functions(node, prefix)


def str_const(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def kwarg(call: ast.Call, *names: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg in names:
            return kw.value
    return None


def call_name(node: ast.AST) -> str:
    """The last name of a call's callee (`Depends` for `fastapi.Depends(...)`)."""
    func = node.func if isinstance(node, ast.Call) else node
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def assignment(node: ast.AST) -> tuple[str | None, ast.expr | None]:
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id, node.value
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.target.id, node.value
    return None, None
