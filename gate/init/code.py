"""The repository's code as `authgate init` reads it: parsed modules (never imported or run), the
module-level constants they define, the environment variables they read, and their functions by name.

Everything here answers "what does this expression say?" without running anything: a literal, an
environment variable with its default (`os.getenv("NOTES_TABLE", "notes")`), or a name that leads to
one of those through a module-level assignment or an import.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from gate.target.pysource import Module, assignment, call_name, iter_functions, kwarg, str_const
from gate.target.routes import Route, route_map

Function = ast.FunctionDef | ast.AsyncFunctionDef
_ENV_CALLS = {"getenv", "get_env", "env", "config"}  # os.getenv, decouple's config("X"), environs' env("X")
_MAX_HOPS = 8  # names followed through assignments and imports before giving up


@dataclass(frozen=True, slots=True)
class EnvRead:
    """`os.environ["X"]` (default None) or `os.getenv("X", "d")`, where it was read."""

    var: str
    default: str | None
    where: str  # file:line
    required: bool = False  # `os.environ["X"]`, a settings field without default: unset, the code fails


@dataclass(frozen=True, slots=True)
class Value:
    """What an expression evaluates to as far as the source says: a literal, an env var, or neither."""

    literal: str | None = None
    env: EnvRead | None = None
    env_value: str | None = None  # what init sets `env.var` to: the default, or a value chosen for it


@dataclass
class Code:
    root: Path
    modules: list[Module]
    routes: list[Route]
    problems: list[str]
    constants: dict[str, dict[str, ast.expr]] = field(default_factory=dict)  # module -> NAME -> value
    functions: dict[str, list[tuple[Module, Function]]] = field(default_factory=dict)  # bare name -> defs
    # values for env vars read without a default inside a name (a template parameter's default)
    chosen: dict[str, str] = field(default_factory=dict)
    settings: list[tuple[Module, ast.ClassDef]] = field(default_factory=list)  # pydantic BaseSettings classes

    @classmethod
    def read(cls, workdir: Path, root: Path | None = None) -> Code:
        """The modules under `workdir`, named from it; files named relative to `root` (the config's folder)."""
        rmap = route_map(workdir, root or workdir)
        code = cls(root=workdir, modules=rmap.modules, routes=rmap.routes, problems=rmap.problems)
        for mod in code.modules:
            consts: dict[str, ast.expr] = {}
            for node in mod.tree.body:
                name, value = assignment(node)
                if name and value is not None:
                    consts.setdefault(name, value)
            code.constants[mod.name] = consts
            for _, fn in iter_functions(mod.tree):
                code.functions.setdefault(fn.name, []).append((mod, fn))
            code.settings += [
                (mod, c)
                for c in ast.walk(mod.tree)
                if isinstance(c, ast.ClassDef) and any(call_name(b) == "BaseSettings" for b in c.bases)
            ]
        return code

    def module(self, name: str) -> Module | None:
        return next((m for m in self.modules if m.name == name), None)

    def where(self, mod: Module, node: ast.AST) -> str:
        return f"{mod.rel}:{getattr(node, 'lineno', 0)}"

    def calls(self) -> Iterator[tuple[Module, ast.Call]]:
        for mod in self.modules:
            for node in ast.walk(mod.tree):
                if isinstance(node, ast.Call):
                    yield mod, node

    def imports_of(self, top: str) -> bool:
        """True when any module imports the package `top` (`jwt`, `pynamodb`)."""
        return any(t.split(".")[0] == top for m in self.modules for t in m.imports.values())

    # -- values --------------------------------------------------------------------------------

    def env_read(self, mod: Module, expr: ast.AST | None) -> EnvRead | None:
        """`os.environ["X"]`, `os.environ.get("X", d)`, `os.getenv("X", d)`, `config("X", default=d)`."""
        if isinstance(expr, ast.Subscript) and _is_environ(expr.value):
            var = str_const(expr.slice)
            return EnvRead(var, None, self.where(mod, expr), required=True) if var else None
        if not isinstance(expr, ast.Call) or not expr.args:
            return None
        func = expr.func
        is_get = isinstance(func, ast.Attribute) and func.attr in ("get", "str") and _is_environ(func.value)
        if not (is_get or call_name(expr) in _ENV_CALLS):
            return None
        var = str_const(expr.args[0])
        if not var:
            return None
        default_node = expr.args[1] if len(expr.args) > 1 else kwarg(expr, "default")
        default = self.value(mod, default_node).literal if default_node is not None else None
        return EnvRead(var, default, self.where(mod, expr))

    def value(self, mod: Module, expr: ast.AST | None, hops: int = 0) -> Value:
        """A literal, an env read, or `Value()`, following names through assignments and imports."""
        if expr is None or hops > _MAX_HOPS:
            return Value()
        text = str_const(expr)
        if text is not None:
            return Value(literal=text)
        env = self.env_read(mod, expr)
        if env is not None:
            return Value(literal=env.default, env=env, env_value=env.default)
        if isinstance(expr, ast.JoinedStr):  # f"{project}-users": an env part without default gets a value
            return self._joined(mod, expr, hops)
        if isinstance(expr, ast.BoolOp) and isinstance(expr.op, ast.Or):  # os.environ.get("X") or "notes"
            first, rest = self.value(mod, expr.values[0], hops + 1), self.value(mod, expr.values[-1], hops + 1)
            if first.env is not None:
                return Value(literal=first.literal or rest.literal, env=first.env)
            return first if first.literal is not None else rest
        if isinstance(expr, ast.Name):
            local = self.constants.get(mod.name, {}).get(expr.id)
            if local is not None:
                return self.value(mod, local, hops + 1)
            target = mod.imports.get(expr.id)
            if target and "." in target:
                where, _, name = target.rpartition(".")
                other = self.module(where)
                if other is not None and name in self.constants.get(other.name, {}):
                    return self.value(other, self.constants[other.name][name], hops + 1)
        if isinstance(expr, ast.Subscript) and _is_config(expr.value) and (key := str_const(expr.slice)):
            return self._config_entry(key, hops)
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr == "get":
            key = str_const(expr.args[0]) if expr.args else None
            if key and _is_config(expr.func.value):  # current_app.config.get("JWT_SECRET")
                return self._config_entry(key, hops)
        if isinstance(expr, ast.Attribute):  # settings.notes_table: a pydantic BaseSettings field
            return self._settings_field(expr.attr, hops)
        return Value()

    def _joined(self, mod: Module, expr: ast.JoinedStr, hops: int) -> Value:
        text, env, chosen = "", None, None
        for part in expr.values:
            if isinstance(part, ast.Constant):
                text += str(part.value)
                continue
            value = self.value(mod, part.value if isinstance(part, ast.FormattedValue) else part, hops + 1)
            if value.env is not None and env is None:
                env = value.env
                chosen = value.literal or self.chosen.get(env.var) or env.var.lower().replace("_", "-")
                text += chosen
            elif value.literal is not None:
                text += value.literal
            else:
                return Value()
        return Value(literal=text, env=env, env_value=chosen)

    def _config_entry(self, key: str, hops: int) -> Value:
        """Flask's `app.config["KEY"]`: what `app.config["KEY"] = ...` or `config.update(KEY=...)` put there."""
        for mod in self.modules:
            for node in ast.walk(mod.tree):
                if isinstance(node, ast.Assign) and isinstance(t := node.targets[0], ast.Subscript):
                    if _is_config(t.value) and str_const(t.slice) == key:
                        return self.value(mod, node.value, hops + 1)
                elif isinstance(node, ast.Call) and call_name(node) in ("update", "from_mapping"):
                    hit = kwarg(node, key)
                    if hit is not None:
                        return self.value(mod, hit, hops + 1)
        return Value()

    def _settings_read(self, mod: Module, node: ast.AST) -> EnvRead | None:
        """A field of a `BaseSettings` class, as the env var pydantic reads it from."""
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            return None
        if node.target.id == "model_config":
            return None
        optional = "Optional" in ast.dump(node.annotation) or "None" in ast.unparse(node.annotation)
        default = self.value(mod, node.value).literal if node.value is not None else ("" if optional else None)
        return EnvRead(node.target.id.upper(), default, self.where(mod, node), required=default is None)

    def _settings_field(self, attr: str, hops: int) -> Value:
        for mod, cls in self.settings:
            for stmt in cls.body:
                if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.target.id == attr:
                    default = self.value(mod, stmt.value, hops + 1).literal if stmt.value is not None else None
                    env = EnvRead(attr.upper(), default, self.where(mod, stmt))
                    return Value(literal=default, env=env, env_value=default)
        return Value()

    def env_reads(self) -> list[EnvRead]:
        """Every environment variable the code reads, first read first, once each (`BaseSettings` fields too:
        one without a default or `Optional` must be set for the service to start)."""
        found = [e for mod in self.modules for node in ast.walk(mod.tree) if (e := self.env_read(mod, node))]
        found += [e for mod, cls in self.settings for node in cls.body if (e := self._settings_read(mod, node))]
        seen: dict[str, EnvRead] = {}
        for env in found:
            if (
                env.var not in seen
                or (seen[env.var].default is None and env.default)
                or (env.required and seen[env.var].default is None)
            ):
                seen[env.var] = env
        return list(seen.values())

    # -- functions -----------------------------------------------------------------------------

    def handler(self, route: Route) -> tuple[Module, Function] | None:
        mod = next((m for m in self.modules if m.rel == route.file), None)
        if mod is None:
            return None
        for q, fn in iter_functions(mod.tree):
            if q == route.handler and fn.lineno == route.line:
                return mod, fn
        return None

    def reached(self, mod: Module, fn: Function, depth: int = 2) -> list[tuple[Module, Function]]:
        """`fn` and the functions of the repository it calls by name, `depth` calls deep."""
        out = [(mod, fn)]
        seen = {id(fn)}
        frontier = [(mod, fn)]
        for _ in range(depth):
            nxt: list[tuple[Module, Function]] = []
            for _m, f in frontier:
                for node in ast.walk(f):
                    if isinstance(node, ast.Call):
                        for hit in self.functions.get(call_name(node), [])[:3]:
                            if id(hit[1]) not in seen:
                                seen.add(id(hit[1]))
                                out.append(hit)
                                nxt.append(hit)
            frontier = nxt
        return out


def _is_config(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "config"


def _is_environ(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
        isinstance(node, ast.Name) and node.id == "environ"
    )
