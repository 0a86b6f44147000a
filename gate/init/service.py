"""How the service starts: its framework, entry module and app object, the command, the ready route.

FastAPI: a module-level `app = FastAPI(...)` (or a factory returning one) runs under uvicorn. Flask:
`app = Flask(__name__)` or an app factory (`def create_app(): app = Flask(...); return app`) runs
under `flask --app`. flask-restx's `Api` serves its Swagger document at `<prefix>/swagger.json`.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass
from pathlib import Path

from gate.init.code import Code, Function
from gate.target.pysource import Module, assignment, call_name, kwarg, str_const
from gate.target.routes import Route

_APPS = {"FastAPI": "fastapi", "Flask": "flask"}
_ENTRY_NAMES = ("main", "app", "application", "server", "api", "wsgi", "asgi", "run")
_READY_NAMES = ("health", "healthz", "healthcheck", "ping", "ready", "readyz", "live", "livez", "status")
_SCRIPT_DIRS = {"scripts", "script", "tools", "bin", "migrations", "legacy", "examples"}


@dataclass(frozen=True, slots=True)
class App:
    framework: str  # fastapi | flask
    module: str  # dotted, relative to the service directory
    obj: str  # the app variable, or the factory function
    factory: bool
    where: str
    restx_prefix: str | None = None  # flask-restx Api(prefix=...): "" without one
    workdir: str = "."  # where the command runs: the folder above the app's top package

    @property
    def command(self) -> str:
        if self.framework == "fastapi":
            factory = " --factory" if self.factory else ""
            return f"uvicorn {self.module}:{self.obj}{factory} --host 127.0.0.1 --port {{port}}"
        target = self.module if self.obj == "app" and not self.factory else f"{self.module}:{self.obj}"
        if self.factory:  # the call is part of the target: quoted, as shlex splits the command
            target = f'"{target}()"'
        return f"flask --app {target} run --host 127.0.0.1 --port {{port}}"

    @property
    def openapi(self) -> str | None:
        if self.framework == "fastapi":
            return "/openapi.json"
        if self.restx_prefix is not None:
            return self.restx_prefix.rstrip("/") + "/swagger.json"
        return None


def _app_kind(value: ast.AST | None) -> str | None:
    return _APPS.get(call_name(value)) if isinstance(value, ast.Call) else None


def _factory(fn: Function) -> str | None:
    """The framework of a function that builds an app and returns it."""
    names: dict[str, str] = {}
    for node in ast.walk(fn):
        target, value = assignment(node)
        kind = _app_kind(value)
        if target and kind:
            names[target] = kind
    for node in ast.walk(fn):
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Name) and node.value.id in names:
            return names[node.value.id]
    returns = call_name(fn.returns) if fn.returns is not None else ""
    return _APPS.get(returns) if names and returns in _APPS else None


def _run_from(code: Code, mod: Module) -> tuple[str, str]:
    """(workdir, module) to import `mod` from: the folder above its top package (a folder with
    `__init__.py`), so `services/api/main.py` importing `routers` runs from `services/api` as `main`."""
    folder = mod.path.parent
    parts = [mod.path.stem] if mod.path.stem != "__init__" else []
    # `from .routers import x` needs its folder imported as a package, `__init__.py` or not
    up = max((n.level for n in ast.walk(mod.tree) if isinstance(n, ast.ImportFrom)), default=0)
    while ((folder / "__init__.py").is_file() or len(parts) <= up) and folder != code.root:
        parts.insert(0, folder.name)
        folder = folder.parent
    rel = os.path.relpath(folder, code.root)
    return Path(rel).as_posix(), ".".join(parts) or mod.name


def _candidates(code: Code) -> list[tuple[tuple[int, ...], App]]:
    out: list[tuple[tuple[int, ...], App]] = []
    for mod in code.modules:
        if not mod.name:
            continue
        parts = mod.name.split(".")
        in_scripts = bool(set(parts[:-1]) & _SCRIPT_DIRS)
        last = parts[-1]
        name_rank = _ENTRY_NAMES.index(last) if last in _ENTRY_NAMES else len(_ENTRY_NAMES)
        found: list[App] = []
        workdir, module = _run_from(code, mod)
        for node in mod.tree.body:
            target, value = assignment(node)
            kind = _app_kind(value)
            if target and kind:
                found.append(App(kind, module, target, False, code.where(mod, node), workdir=workdir))
            if isinstance(node, ast.FunctionDef) and (kind := _factory(node)):
                found.append(App(kind, module, node.name, True, code.where(mod, node), workdir=workdir))
        out += [((int(in_scripts), int(app.factory), len(parts), name_rank), app) for app in found]
    return out


def _restx_prefix(code: Code) -> str | None:
    """flask-restx `Api(app, prefix=...)`: None when the service has no `Api` from flask_restx/restplus."""
    for mod, call in code.calls():
        if call_name(call) != "Api":
            continue
        target = mod.imports.get(call_name(call), "")
        if target.startswith(("flask_restx", "flask_restplus")):
            return str_const(kwarg(call, "prefix")) or ""
    return None


def find_app(code: Code) -> App | None:
    """The service's app: in the entry-like module nearest the top, outside scripts and tools folders."""
    cands = sorted(_candidates(code), key=lambda c: c[0])
    if not cands:
        return None
    app = cands[0][1]
    if app.framework == "flask":
        prefix = _restx_prefix(code)
        if prefix is not None:
            app = App(app.framework, app.module, app.obj, app.factory, app.where, prefix, app.workdir)
    return app


def ready_path(routes: list[Route], app: App | None) -> str:
    """A GET route without parameters, health-like first; else FastAPI's document or `/` (any answer below
    500 means ready, so a 404 on `/` still tells the service is up)."""
    plain = [r for r in routes if r.method == "GET" and "{" not in r.path]
    for name in _READY_NAMES:
        for r in plain:
            if r.path.rstrip("/").rsplit("/", 1)[-1].lower() == name:
                return r.path
    if app is not None and app.openapi:
        return app.openapi
    return plain[0].path if plain else "/"


def is_script(where: str) -> bool:
    """True for a file:line in a scripts/tools/legacy folder: not the service's own code."""
    return bool(set(Path(where.rpartition(":")[0]).parts[:-1]) & _SCRIPT_DIRS)


def is_health(path: str) -> bool:
    return path.rstrip("/").rsplit("/", 1)[-1].lower() in _READY_NAMES
