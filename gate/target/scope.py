"""Which files are the service's code: the modules its entry module imports (issue 14).

A repository holds more than the service: other apps, a dead copy of it, scripts, tests, vendored
code. Reading them all gave findings in files that never run (issue 14: 11 of 42 findings). The
service's code is what Python would load when the service starts:

- the entry module: `source.entry`, else the one `service.command` names (`uvicorn pkg.main:app`,
  `gunicorn 'app:create_app()'`, `flask --app x run`, `python main.py`, `python -m pkg`,
  `fastapi run x.py`, through `sh -c`, `cd dir &&`, `poetry run` and the like);
- every module reachable from it by imports, resolved as Python would from `service.workdir` (and
  the entry's directory, `--app-dir`, `--chdir`, `--pythonpath`, `PYTHONPATH` in `service.env`):
  absolute and relative imports, the packages' `__init__.py` on the way, `from . import routers`,
  `importlib.import_module("literal")`, `uvicorn.run("main:app")`; imports inside functions and
  `try` blocks count (they run, or may);
- plus the `.py` files matching `source.include`, minus those matching `source.exclude` (globs
  relative to `service.workdir`; an excluded module's own imports are not followed).

Only files under the scan root are read, so site-packages, virtualenvs and node_modules are out
unless the service imports a module that lives there under the root. When no entry is found (a
`service.url`, a command the gate does not know) every Python file under the workdir is read, as
before, and a note says so. Nothing is imported or run: the files are parsed with `ast`
(`gate.target.pysource`), within its bounds.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from gate.config import Config
from gate.errors import ScanError
from gate.target.pysource import MAX_FILES, Module, module_name, parse_file, python_files, relative, str_const

# `pkg.module:attr`, `module:factory()`: the app spec of ASGI/WSGI servers and of `flask --app`.
APP_SPEC = re.compile(r"^([A-Za-z_][\w.]*)(?::[A-Za-z_][\w.]*(?:\(.*\))?)?$")
SERVERS = {"uvicorn", "gunicorn", "hypercorn", "daphne", "granian", "waitress-serve", "uwsgi"}
_RUNNERS = {"poetry", "pipenv", "uv", "pdm", "hatch", "rye"}  # `<runner> run CMD`
_WRAPPERS = {"exec", "env", "nohup", "time", "ddtrace-run", "opentelemetry-instrument"}
_SHELLS = {"sh", "bash", "dash", "zsh"}
# Options whose value is a directory Python imports from (added to the search roots).
_DIR_OPTIONS = {"--app-dir", "--chdir", "--pythonpath"}
# What `fastapi run` without a path and `flask` without --app look for, in their order.
_FASTAPI_DEFAULTS = ("main.py", "app.py", "api.py", "app/main.py", "app/app.py", "app/api.py")
_FLASK_DEFAULTS = ("wsgi", "app")


@dataclass(frozen=True, slots=True)
class Entry:
    """The entry module as a command names it: a file or a dotted module, with where it is imported from."""

    file: str | None = None  # relative to the directory the command runs in
    module: str | None = None
    cwd: str = "."  # relative to service.workdir (`cd sub && uvicorn ...`)
    paths: tuple[str, ...] = ()  # more import roots, relative to cwd
    how: str = ""  # what named it, for the note


@dataclass(slots=True)
class Scope:
    """The service's parsed modules and how they were chosen."""

    root: Path
    workdir: Path
    modules: list[Module]
    problems: list[str]  # files in scope that could not be parsed
    entry: str | None  # the entry module's file, relative to the root; None: every file was read
    notes: list[str] = field(default_factory=list)
    rank: dict[str, int] = field(default_factory=dict)  # file -> 0 (surely the service's) or 1; lower wins

    @property
    def files(self) -> list[str]:
        """The files read, relative to the scan root, sorted."""
        return sorted(m.rel for m in self.modules)


# -- the entry module from the command ------------------------------------------------------------


def _split(command: str) -> list[list[str]]:
    """A shell command as its simple commands (`a && b; c | d`), each as words; `sh -c '...'` unwrapped."""
    try:
        lex = shlex.shlex(command.replace("{port}", "8000"), posix=True, punctuation_chars=";&|")
        lex.whitespace_split = True
        words = list(lex)
    except ValueError:
        return []
    out: list[list[str]] = [[]]
    for w in words:
        if w and set(w) <= set(";&|"):
            out.append([])
        else:
            out[-1].append(w)
    flat: list[list[str]] = []
    for argv in out:
        if len(argv) >= 3 and Path(argv[0]).name in _SHELLS and argv[1].startswith("-") and "c" in argv[1]:
            flat += _split(argv[2])
        elif argv:
            flat.append(argv)
    return flat


def _strip(argv: list[str], env: dict[str, str]) -> list[str]:
    """Drop `VAR=value` prefixes (into `env`), wrappers (`exec`, `env`) and runners (`poetry run`)."""
    while argv:
        head = argv[0]
        if re.fullmatch(r"[A-Za-z_]\w*=.*", head):
            name, _, value = head.partition("=")
            env[name] = value
            argv = argv[1:]
        elif Path(head).name in _WRAPPERS:
            argv = argv[1:]
        elif Path(head).name in _RUNNERS and len(argv) > 1 and argv[1] == "run":
            argv = argv[2:]
            while argv and argv[0].startswith("-"):
                argv = argv[1:]
        else:
            return argv
    return argv


def _option(argv: list[str], *names: str) -> str | None:
    for i, w in enumerate(argv):
        for n in names:
            if w == n and i + 1 < len(argv):
                return argv[i + 1]
            if n.startswith("--") and w.startswith(n + "="):
                return w[len(n) + 1 :]
    return None


def _positionals(argv: list[str]) -> list[str]:
    """Words that are no option and no option's value (a word after `--opt` is taken as its value)."""
    out: list[str] = []
    for i, w in enumerate(argv):
        prev = argv[i - 1] if i else ""
        if not w.startswith("-") and not (prev.startswith("-") and "=" not in prev):
            out.append(w)
    return out


def _spec(value: str, cwd: str, paths: tuple[str, ...], how: str) -> Entry | None:
    """`pkg.main:app`, `app:create_app()`, `pkg`, `x.py`, `x.py:app` to an Entry."""
    target = value.split(":", 1)[0]
    if target.endswith(".py") or "/" in target:
        return Entry(file=target, cwd=cwd, paths=paths, how=how)
    m = APP_SPEC.match(value)
    return Entry(module=m.group(1), cwd=cwd, paths=paths, how=how) if m else None


def _server(argv: list[str], cwd: str) -> Entry | None:
    paths = tuple(p for o in _DIR_OPTIONS if (v := _option(argv, o)) for p in v.split(","))
    tool = Path(argv[0]).name
    for flag in ("--wsgi-file", "--module", "--call"):  # uwsgi, waitress-serve
        if value := _option(argv, flag):
            return _spec(value, cwd, paths, f"{tool} {flag}")
    words = argv[1:]
    specs = [w for w in words if ":" in w and APP_SPEC.match(w)]
    if specs:
        return _spec(specs[0], cwd, paths, tool)
    bare = [w for w in _positionals(words) if APP_SPEC.match(w)]  # gunicorn `wsgi` means `wsgi:application`
    return _spec(bare[-1], cwd, paths, tool) if bare else None


def _flask(argv: list[str], cwd: str, env: dict[str, str], workdir: Path) -> Entry | None:
    value = _option(argv, "--app", "-A") or env.get("FLASK_APP")
    if value:
        return _spec(value, cwd, (), "flask --app")
    for name in _FLASK_DEFAULTS:  # flask's own search: wsgi.py, then app.py
        if (workdir / cwd / f"{name}.py").is_file():
            return Entry(file=f"{name}.py", cwd=cwd, how="flask (default app)")
    return None


def _fastapi(argv: list[str], cwd: str, workdir: Path) -> Entry | None:
    if value := _option(argv, "--entrypoint", "-e"):
        return _spec(value, cwd, (), "fastapi --entrypoint")
    words = _positionals(argv[1:])
    if words and words[0] in ("run", "dev"):
        words = words[1:]
    if words:
        return Entry(file=words[0], cwd=cwd, how="fastapi run")
    for name in _FASTAPI_DEFAULTS:
        if (workdir / cwd / name).is_file():
            return Entry(file=name, cwd=cwd, how="fastapi run (default path)")
    return None


def _python(argv: list[str], cwd: str, env: dict[str, str], workdir: Path) -> Entry | None:
    i = 1
    while i < len(argv):
        w = argv[i]
        if w == "-m" and i + 1 < len(argv):
            mod, rest = argv[i + 1], argv[i + 2 :]
            if mod in SERVERS or mod in ("flask", "fastapi"):
                return _tool([mod, *rest], cwd, env, workdir)
            return Entry(module=mod, cwd=cwd, how="python -m")
        if w == "-c":
            return None
        if w in ("-X", "-W"):
            i += 2
            continue
        if not w.startswith("-"):
            return Entry(file=w, cwd=cwd, paths=(str(PurePosixPath(w).parent),), how="python")
        i += 1
    return None


def _tool(argv: list[str], cwd: str, env: dict[str, str], workdir: Path) -> Entry | None:
    name = Path(argv[0]).name
    if name in SERVERS:
        return _server(argv, cwd)
    if name == "flask":
        return _flask(argv, cwd, env, workdir)
    if name == "fastapi":
        return _fastapi(argv, cwd, workdir)
    if re.fullmatch(r"python(\d+(\.\d+)?)?", name):
        return _python(argv, cwd, env, workdir)
    return None


def entry_of(cfg: Config, workdir: Path) -> Entry | None:
    """The entry module `source.entry` or `service.command` names; None when neither names one."""
    if cfg.source.entry:
        return Entry(file=cfg.source.entry, how="source.entry")
    if not cfg.service.command:
        return None
    env = dict(cfg.service.env)
    cwd = "."
    for argv in _split(cfg.service.command):
        argv = _strip(argv, env)
        if not argv:
            continue
        if argv[0] == "cd" and len(argv) > 1:
            cwd = os.path.normpath(os.path.join(cwd, argv[1]))
            continue
        found = _tool(argv, cwd, env, workdir)
        if found is not None:
            return found
    return None


# -- imports to files -------------------------------------------------------------------------------


class _Resolver:
    """Dotted module names to files, as `sys.path` would find them from the import roots."""

    def __init__(self, roots: list[Path], root: Path) -> None:
        self.roots = list(dict.fromkeys(roots))
        self.root = root
        self._found: dict[str, tuple[Path, str, bool] | None] = {}  # every module imports `os`, `json`, ...

    def find(self, dotted: str) -> tuple[Path, str, bool] | None:
        """(file, name, is a package) of `dotted`; None when no root has it (a third-party module)."""
        if dotted not in self._found:
            self._found[dotted] = self._find(dotted)
        return self._found[dotted]

    def _find(self, dotted: str) -> tuple[Path, str, bool] | None:
        parts = dotted.split(".")
        if not all(p.isidentifier() for p in parts):
            return None
        for base in self.roots:
            stem = base.joinpath(*parts)
            for path, is_pkg in ((stem / "__init__.py", True), (stem.with_name(parts[-1] + ".py"), False)):
                if path.is_file() and self._inside(path):
                    return path, dotted, is_pkg
        return None

    def _inside(self, path: Path) -> bool:
        try:
            path.resolve().relative_to(self.root)
        except ValueError:
            return False  # a symlink out of the repository is not the service's code
        return True


def _imported(mod: Module) -> list[str]:
    """Every module name `mod` may import, absolute, with the parent packages Python imports on the way."""
    names: list[str] = []

    def absolute(name: str, level: int) -> str | None:
        if not level:
            return name
        pkg = mod.package.split(".") if mod.package else []
        if level - 1 > len(pkg):
            return None
        base = pkg[: len(pkg) - (level - 1)]
        return ".".join([*base, name] if name else base) or None

    for node in ast.walk(mod.tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = absolute(node.module or "", node.level)
            if base:
                names.append(base)
                names += [f"{base}.{a.name}" for a in node.names if a.name != "*"]
        elif isinstance(node, ast.Call) and node.args and (lit := str_const(node.args[0])):
            callee = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if callee in ("import_module", "__import__"):
                level = len(lit) - len(lit.lstrip("."))
                package = str_const(node.args[1]) if len(node.args) > 1 else None
                if level and package:
                    got = ".".join([*package.split(".")[: len(package.split(".")) - (level - 1)], lit.lstrip(".")])
                else:
                    got = absolute(lit.lstrip("."), level)
                if got:
                    names.append(got)
            elif callee == "run" and ":" in lit and APP_SPEC.match(lit):  # uvicorn.run("main:app")
                names.append(lit.split(":", 1)[0])
    out: list[str] = []
    for name in names:
        parts = name.split(".")
        out += [".".join(parts[: i + 1]) for i in range(len(parts))]
    return out


# -- globs ----------------------------------------------------------------------------------------------


def _glob_rx(pattern: str) -> re.Pattern[str]:
    """A glob over POSIX paths: `**` any folders, `*` and `?` within one name; no `/`: any folder level."""
    pattern = pattern.strip().rstrip("/")
    anchored = "/" in pattern
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(("" if anchored else "(?:.*/)?") + out.lstrip("/") + "(?:/.*)?")


def matches(rel: str, patterns: list[str]) -> bool:
    """`rel` (POSIX, relative to the workdir) or a folder above it matches one of the globs."""
    return any(_glob_rx(p).fullmatch(rel) for p in patterns if p.strip())


# -- the scope ------------------------------------------------------------------------------------------


def walk(workdir: Path, root: Path, exclude: list[str] | None = None, notes: list[str] | None = None) -> Scope:
    """Every Python file under `workdir` (minus `exclude`): the scope when no entry module is known."""
    workdir, root = workdir.resolve(), root.resolve()
    mods: list[Module] = []
    problems: list[str] = []
    for path in python_files(workdir):
        if exclude and matches(relative(path, workdir), exclude):
            continue
        got = parse_file(path, root, *module_name(path, workdir))
        if isinstance(got, str):
            problems.append(got)
        else:
            mods.append(got)
    # Two files declaring one route: without an entry, the one some module imports is more likely live
    # than a copy nothing imports.
    imported = {n for m in mods for n in _imported(m)}
    rank = {m.rel: 0 if any(m.name == n or m.name.endswith("." + n) for n in imported) else 1 for m in mods}
    return Scope(root, workdir, mods, problems, None, list(notes or []), rank)


def resolve(cfg: Config, root: Path) -> Scope:
    """The service's modules: from its entry module by imports, plus `source.include`, minus `source.exclude`."""
    root = root.resolve()
    workdir = (root / cfg.service.workdir).resolve()
    src = cfg.source
    entry = entry_of(cfg, workdir)
    start = _start(entry, workdir, root, cfg.service.env.get("PYTHONPATH", "")) if entry else None
    if entry is None or start is None:
        if src.entry:
            raise ScanError(f"source.entry: {src.entry} is not a Python file under {cfg.service.workdir}")
        if entry is not None:
            said = f"{entry.how} names {entry.file or entry.module}, not found under the workdir"
        else:
            said = "service.command names none the gate knows" if cfg.service.command else "no service.command"
        note = (
            f"source: no entry module found ({said}): every Python "
            "file under service.workdir is read; set source.entry to read only what the service imports"
        )
        return walk(workdir, root, src.exclude, [note])
    queue, resolver = start
    entry_path = queue[-1][0]
    imported = {p.resolve() for p, _, _ in queue}  # the entry and the packages above it
    extra = [p for p in python_files(workdir) if src.include and matches(relative(p, workdir), src.include)]
    queue += [(p, *module_name(p, workdir)) for p in extra]
    seen: dict[Path, Module] = {}
    problems: list[str] = []
    done: set[Path] = set()
    while queue and len(done) < MAX_FILES:
        path, name, is_pkg = queue.pop(0)
        key = path.resolve()
        if key in done or matches(relative(path, workdir), src.exclude):
            continue
        done.add(key)
        got = parse_file(path, root, name, is_pkg)
        if isinstance(got, str):
            problems.append(got)
            continue
        seen[key] = got
        for dotted in _imported(got):
            hit = resolver.find(dotted)
            if hit is not None and (target := hit[0].resolve()) not in done:
                imported.add(target)
                queue.append(hit)
    mods = sorted(seen.values(), key=lambda m: m.rel)
    rank = {m.rel: 0 if m.path.resolve() in imported else 1 for m in mods}  # include-only files lose a tie
    # no note when the scope was found: the report lists the files (`source.files`); only a bound met is said
    notes = [f"source: stopped at {MAX_FILES} files reached from {entry.how}"] if len(done) >= MAX_FILES else []
    return Scope(root, workdir, mods, problems, relative(entry_path, root), notes, rank)


def _start(
    entry: Entry, workdir: Path, root: Path, pythonpath: str
) -> tuple[list[tuple[Path, str, bool]], _Resolver] | None:
    """The entry module's file with the packages Python imports before it, and the import roots; None if absent."""
    cwd = (workdir / entry.cwd).resolve()
    roots = [cwd, *((cwd / p).resolve() for p in entry.paths)]
    roots += [(workdir / p).resolve() for p in pythonpath.split(os.pathsep) if p and not p.startswith("{")]
    if entry.file:
        path = (cwd / entry.file).resolve()
        if path.is_dir():
            path = path / "__init__.py"
        if not path.is_file() or path.suffix != ".py":
            return None
        # `fastapi run app/main.py` and `flask --app app/main.py` import it as `app.main` from the folder
        # above the topmost package that holds it, so its relative imports work; `python app/main.py`
        # imports from app/.
        base = path.parent
        while (base / "__init__.py").is_file() and base != base.parent:
            base = base.parent
        first = [path.parent, base] if entry.how == "python" else [base, path.parent]
        resolver = _Resolver([*first, *roots], root)
        name, is_pkg = module_name(path, base)
    else:
        resolver = _Resolver(roots, root)
        found = resolver.find(entry.module or "")
        if found is None:
            return None
        path, name, is_pkg = found
        main = path.parent / "__main__.py"
        if is_pkg and entry.how == "python -m" and main.is_file():  # `python -m pkg` runs pkg/__main__.py
            path, name, is_pkg = main, f"{name}.__main__", False
    parts = name.split(".")
    parents = [hit for i in range(1, len(parts)) if (hit := resolver.find(".".join(parts[:i])))]
    return [*parents, (path, name, is_pkg)], resolver


def files(cfg: Config, root: Path) -> list[str]:
    """The files the scan reads as the service's code, relative to the scan root, sorted (`source.files`)."""
    return resolve(cfg, root).files
