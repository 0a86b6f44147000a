"""Routes to source: map each operation (method + route template) to its handler's file and line.

The service's Python files are parsed with `ast` only; its code is never imported or run (it is
untrusted code from a pull request). Understood, across the modules of the service:

- FastAPI: `@app.get/post/put/patch/delete(...)`, `@app.api_route(path, methods=[...])`,
  `APIRouter(prefix=...)`, `include_router(router, prefix=...)` (also router into router),
  `add_api_route(path, endpoint, methods=[...])`.
- Flask: `@app.route(rule, methods=[...])`, `@app.get/post/...`, `Blueprint(url_prefix=...)`,
  `register_blueprint(bp, url_prefix=...)` (also blueprint into blueprint), `add_url_rule(rule,
  endpoint, view_func, methods=[...])` with a function or a `MethodView.as_view(...)`.
- flask-restx and flask-restful: `Api(app_or_blueprint, prefix=...)`, `api.init_app(...)`,
  `Namespace("x", path=...)` (default path `/x`), `api.namespace(...)`, `api.add_namespace(ns,
  path=...)`, `@ns.route("/a", "/b")` on a `Resource` class and `api.add_resource(Cls, "/a")`.

A class-based view (`MethodView`, `Resource`) is one handler per HTTP method it defines (`def get(self,
id)`), each at its own `def` line; methods inherited from a base class are not seen. Where two files
declare one route, the one `Scope.rank` puts first wins (the service's own module over a dead copy).

Path parameters are normalised to the OpenAPI form: `<user_id>`, `<int:id>`, `<path:p>` and
`{id:path}` all become `{user_id}`, `{id}`, `{p}`.

Which line a finding lands on: the handler's `def` line. That is where a reviewer fixes an
authentication or authorization flaw: FastAPI takes the missing `Depends(...)` in the signature on
that line, Flask takes the missing `@login_required` on the line above it, and the ownership or
role check belongs at the top of the body just below it. The decorator line only declares the
route, which is rarely what has to change.

Without an OpenAPI document (`openapi: null`, the usual case for Flask) the route map is the list
of operations: methods, path parameters, query parameters read in the handler
(`request.args.get('x')`, `request.args['x']`; FastAPI scalar parameters), and JSON body fields
where they are visible (`request.json['x']`, `request.get_json().get('x')`, a pydantic model
parameter in FastAPI).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from gate.errors import ScanError
from gate.target.openapi import PARAM_RE, Operation, Spec
from gate.target.pysource import Module, assignment, call_name, iter_functions, kwarg, str_const
from gate.target.scope import Scope, walk
from gate.target.shape import shape_from_source

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_DECORATOR_METHODS = {"get", "post", "put", "patch", "delete"}
_ROUTE_ATTRS = _DECORATOR_METHODS | {"route", "api_route"}
_ROUTER_KINDS = {
    "FastAPI": "fastapi",
    "APIRouter": "fastapi",
    "Flask": "flask",
    "Blueprint": "flask",
    "Api": "flask",  # flask-restx, flask-restful
    "Namespace": "flask",  # flask-restx
}
# Routers whose prefix given at attach time replaces their own (Flask's register_blueprint url_prefix,
# flask-restx's add_namespace path), where FastAPI's include_router prefix goes before the router's.
_REPLACED_PREFIX = {"Blueprint", "Namespace"}
_FLASK_PARAM = re.compile(r"<(?:[^<>:]+:)?([^<>:]+)>")
_TYPED_PARAM = re.compile(r"{([^}:]+):[^}]+}")
_SCALARS = {"str": "string", "int": "integer", "float": "number", "bool": "boolean", "UUID": "string"}
_JSON_TYPES = {**_SCALARS, "list": "array", "List": "array", "dict": "object", "Dict": "object"}
_NOT_QUERY = {"Depends", "Security", "Header", "Cookie", "Body", "File", "Form", "Path"}


# -- the route map ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Route:
    """One operation as the source declares it."""

    method: str
    path: str  # `{param}` syntax, prefixes applied
    file: str  # relative to the scan root
    line: int  # the handler's `def` line (see the module docstring)
    handler: str  # qualname of the handler function
    framework: str  # fastapi | flask
    query_params: tuple[str, ...] = ()
    body_fields: tuple[str, ...] = ()
    body_types: tuple[tuple[str, str], ...] = ()

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"

    def operation(self) -> Operation:
        body = self.method in ("POST", "PUT", "PATCH")
        path_params = tuple(PARAM_RE.findall(self.path))
        return Operation(
            method=self.method,
            path=self.path,
            path_params=path_params,
            query_params=self.query_params,
            body_fields=self.body_fields if body else (),
            body_types=self.body_types if body else (),
            summary=self.handler,
            file=self.file,
            line=self.line,
            shape=shape_from_source(path_params, self.query_params, self.body_types if body else ()),
        )


@dataclass(slots=True)
class _Router:
    kind: str  # the constructor: FastAPI | APIRouter | Flask | Blueprint
    prefix: str

    @property
    def framework(self) -> str:
        return _ROUTER_KINDS[self.kind]


@dataclass(slots=True)
class _Raw:
    receiver: str | None  # dotted router reference
    methods: tuple[str, ...]
    path: str
    mod: Module
    qualname: str
    func: ast.FunctionDef | ast.AsyncFunctionDef


def normalise_path(path: str) -> str:
    """Flask `<int:id>` and Starlette `{id:path}` to `{id}`; one slash between parts."""
    path = _FLASK_PARAM.sub(lambda m: "{" + m.group(1).strip() + "}", path)
    path = _TYPED_PARAM.sub(lambda m: "{" + m.group(1).strip() + "}", path)
    path = re.sub(r"/{2,}", "/", "/" + path.lstrip("/"))
    return path


def match_key(path: str) -> str:
    """Two templates name the same route when they differ only in parameter names or a final slash."""
    return re.sub(r"{[^}]*}", "{}", normalise_path(path)).rstrip("/") or "/"


class _Project:
    """Symbols of all modules of a service, resolved by dotted name."""

    def __init__(self, mods: list[Module]) -> None:
        self.mods = mods
        self.by_name: dict[str, Module] = {}
        for m in mods:  # a module answers to its full dotted name and, if unique, to every suffix of it
            self.by_name.setdefault(m.name, m)
        seen: dict[str, Module | None] = {}
        for m in mods:
            parts = m.name.split(".")
            for i in range(1, len(parts)):
                suffix = ".".join(parts[i:])
                seen[suffix] = None if suffix in seen and seen[suffix] is not m else m
        for suffix, m in seen.items():
            if m is not None:
                self.by_name.setdefault(suffix, m)
        self.routers: dict[str, _Router] = {}
        self.functions: dict[str, tuple[Module, str, ast.FunctionDef | ast.AsyncFunctionDef]] = {}
        self.classes: dict[str, tuple[Module, ast.ClassDef]] = {}
        for m in mods:
            for q, fn in iter_functions(m.tree):
                self.functions.setdefault(f"{m.name}.{q}", (m, q, fn))
            for node in ast.walk(m.tree):
                if isinstance(node, ast.ClassDef):
                    self.classes.setdefault(f"{m.name}.{node.name}", (m, node))
                target, value = assignment(node)
                router = _router_of(value) if isinstance(value, ast.Call) else None
                if target and router is not None:
                    self.routers.setdefault(f"{m.name}.{target}", router)

    def ref(self, mod: Module, expr: ast.AST) -> str | None:
        """The absolute dotted name an expression refers to (`users.router` -> `routers.users.router`)."""
        attrs: list[str] = []
        while isinstance(expr, ast.Attribute):
            attrs.insert(0, expr.attr)
            expr = expr.value
        if not isinstance(expr, ast.Name):
            return None
        base = mod.imports.get(expr.id, f"{mod.name}.{expr.id}" if mod.name else expr.id)
        return ".".join([base, *attrs])

    def canonical(self, dotted: str, depth: int = 0) -> str:
        """Follow re-exports (`from .users import router` in a package) to where a name is defined."""
        if depth > 10 or dotted in self.routers or dotted in self.functions or dotted in self.classes:
            return dotted
        parts = dotted.split(".")
        for i in range(len(parts) - 1, 0, -1):
            mod = self.by_name.get(".".join(parts[:i]))
            if mod is None:
                continue
            rest = parts[i:]
            local = f"{mod.name}.{'.'.join(rest)}" if mod.name else ".".join(rest)
            if local in self.routers or local in self.functions or local in self.classes:
                return local
            target = mod.imports.get(rest[0])
            if target is not None:
                return self.canonical(".".join([target, *rest[1:]]), depth + 1)
            return local
        return dotted


def _router_of(call: ast.Call) -> _Router | None:
    """The router a call makes: `APIRouter(prefix=...)`, `Namespace("x", path=...)`, `api.namespace("x")`."""
    kind = call_name(call)
    if kind == "namespace" and isinstance(call.func, ast.Attribute):
        kind = "Namespace"
    if kind not in _ROUTER_KINDS:
        return None
    if kind == "Namespace":  # flask-restx: the path defaults to "/" + the namespace's name
        name = str_const(call.args[0] if call.args else kwarg(call, "name")) or ""
        return _Router(kind, str_const(kwarg(call, "path")) or f"/{name}")
    return _Router(kind, str_const(kwarg(call, "prefix", "url_prefix")) or "")


def _methods(node: ast.expr | None, default: tuple[str, ...]) -> tuple[str, ...]:
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        got = tuple(m.upper() for e in node.elts if (m := str_const(e)))
        return tuple(m for m in got if m in HTTP_METHODS)
    return default


def _decorated(proj: _Project) -> list[_Raw]:
    out: list[_Raw] = []
    for mod in proj.mods:
        for q, fn in iter_functions(mod.tree):
            for dec in fn.decorator_list:
                if not (isinstance(dec, ast.Call) and isinstance(dec.func, ast.Attribute)):
                    continue
                attr = dec.func.attr
                if attr not in _ROUTE_ATTRS:
                    continue
                path = str_const(dec.args[0] if dec.args else kwarg(dec, "path", "rule"))
                receiver = proj.ref(mod, dec.func.value)
                receiver = proj.canonical(receiver) if receiver else None
                known = receiver in proj.routers
                if path is None or not (path.startswith("/") or (known and path == "")):
                    continue
                if attr in _DECORATOR_METHODS:
                    methods: tuple[str, ...] = (attr.upper(),)
                else:
                    methods = _methods(kwarg(dec, "methods"), ("GET",))
                out.append(_Raw(receiver, methods, path, mod, q, fn))
    return out


Handler = tuple[Module, str, ast.FunctionDef | ast.AsyncFunctionDef, str | None]


def _class_methods(mod: Module, cls: ast.ClassDef) -> list[Handler]:
    """A class-based view's handlers (Flask `MethodView`, flask-restx/flask-restful `Resource`): one per method."""
    return [
        (mod, f"{cls.name}.{fn.name}", fn, fn.name.upper())
        for fn in cls.body
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef) and fn.name.upper() in HTTP_METHODS
    ]


def _view_funcs(proj: _Project, mod: Module, view: ast.expr | None) -> list[Handler]:
    """(module, qualname, def, HTTP method or None) of a view: a function, or a class view's methods."""
    if view is None:
        return []
    if isinstance(view, ast.Call) and isinstance(view.func, ast.Attribute) and view.func.attr == "as_view":
        view = view.func.value
        ref = proj.ref(mod, view)
        hit = proj.classes.get(proj.canonical(ref)) if ref else None
        return _class_methods(*hit) if hit else []
    ref = proj.ref(mod, view)
    found = proj.functions.get(proj.canonical(ref)) if ref else None
    return [(found[0], found[1], found[2], None)] if found else []


def _resources(proj: _Project) -> list[_Raw]:
    """flask-restx/flask-restful classes: `@ns.route("/x/<id>")` on the class, `api.add_resource(Cls, "/x")`."""
    out: list[_Raw] = []
    for mod in proj.mods:
        for node in ast.walk(mod.tree):
            if isinstance(node, ast.ClassDef):
                for dec in node.decorator_list:
                    if isinstance(dec, ast.Call) and isinstance(dec.func, ast.Attribute) and dec.func.attr == "route":
                        receiver = proj.ref(mod, dec.func.value)
                        out += _class_raws(proj, receiver, dec.args, _class_methods(mod, node))
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "add_resource"
                and node.args
            ):
                ref = proj.ref(mod, node.args[0])
                hit = proj.classes.get(proj.canonical(ref)) if ref else None
                if hit is not None:
                    receiver = proj.ref(mod, node.func.value)
                    out += _class_raws(proj, receiver, node.args[1:], _class_methods(*hit))
    return out


def _class_raws(proj: _Project, receiver: str | None, paths: list[ast.expr], handlers: list[Handler]) -> list[_Raw]:
    canon = proj.canonical(receiver) if receiver else None
    rules = [p for a in paths if (p := str_const(a)) is not None and p.startswith("/")]
    return [_Raw(canon, (meth or "GET",), path, m, q, fn) for path in rules for m, q, fn, meth in handlers]


def _rules(proj: _Project) -> list[_Raw]:
    """`add_url_rule` (Flask) and `add_api_route` (FastAPI) registrations."""
    out: list[_Raw] = []
    for mod in proj.mods:
        for node in ast.walk(mod.tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            attr = node.func.attr
            if attr not in ("add_url_rule", "add_api_route"):
                continue
            path = str_const(node.args[0] if node.args else kwarg(node, "rule", "path"))
            if path is None:
                continue
            pos = 2 if attr == "add_url_rule" else 1
            view = kwarg(node, "view_func", "endpoint") if attr == "add_api_route" else kwarg(node, "view_func")
            if view is None and len(node.args) > pos:
                view = node.args[pos]
            receiver = proj.ref(mod, node.func.value)
            receiver = proj.canonical(receiver) if receiver else None
            for vmod, q, fn, meth in _view_funcs(proj, mod, view):
                methods = (meth,) if meth else _methods(kwarg(node, "methods"), ("GET",))
                out.append(_Raw(receiver, methods, path, vmod, q, fn))
    return out


def _includes(proj: _Project) -> dict[str, list[tuple[str, str | None]]]:
    """child router -> [(parent router, prefix given at include time or None)].

    `include_router` and `register_blueprint` (FastAPI, Flask), `add_namespace(ns, path=...)`,
    `Api(app_or_blueprint)`, `api.init_app(...)` and `api.namespace(...)` (flask-restx).
    """
    out: dict[str, list[tuple[str, str | None]]] = {}

    def edge(mod: Module, child: ast.AST | str, parent: ast.AST | None, prefix: str | None) -> None:
        c = child if isinstance(child, str) else proj.ref(mod, child)
        p = proj.ref(mod, parent) if parent is not None else None
        if c and p:
            out.setdefault(proj.canonical(c), []).append((proj.canonical(p), prefix))

    for mod in proj.mods:
        for node in ast.walk(mod.tree):
            target, value = assignment(node)
            if target and isinstance(value, ast.Call) and (router := _router_of(value)) is not None:
                here = f"{mod.name}.{target}"
                if router.kind == "Api":
                    edge(mod, here, value.args[0] if value.args else kwarg(value, "app"), None)
                elif call_name(value) == "namespace" and isinstance(value.func, ast.Attribute):
                    edge(mod, here, value.func.value, None)
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args):
                continue
            attr = node.func.attr
            if attr in ("include_router", "register_blueprint"):
                edge(mod, node.args[0], node.func.value, str_const(kwarg(node, "prefix", "url_prefix")))
            elif attr == "add_namespace":
                edge(mod, node.args[0], node.func.value, str_const(kwarg(node, "path")))
            elif attr == "init_app":
                api = proj.ref(mod, node.func.value)
                router = proj.routers.get(proj.canonical(api)) if api else None
                if api and router is not None and router.kind == "Api":
                    edge(mod, api, node.args[0], None)
    return out


Includes = dict[str, list[tuple[str, str | None]]]


def _prefixes(proj: _Project, incl: Includes, ref: str | None, depth: int = 0) -> list[str]:
    router = proj.routers.get(ref) if ref else None
    own = router.prefix if router else ""
    parents = incl.get(ref, []) if ref else []
    if not parents or depth > 8:
        return [own]
    out: list[str] = []
    for parent, given in parents:
        for above in _prefixes(proj, incl, parent, depth + 1):
            if router is not None and router.kind in _REPLACED_PREFIX:  # the prefix given when attached wins
                out.append(above + (given if given is not None else own))
            else:  # FastAPI: include prefix, then the router's own prefix
                out.append(above + (given or "") + own)
    return out


def _framework(proj: _Project, raw: _Raw) -> str:
    router = proj.routers.get(raw.receiver) if raw.receiver else None
    if router is not None:
        return router.framework
    targets = set(raw.mod.imports.values())
    return "fastapi" if any(t.split(".")[0] == "fastapi" for t in targets) else "flask"


def _flask_reads(fn: ast.AST, request_names: set[str]) -> tuple[list[str], list[str]]:
    """Query parameters and JSON body fields a Flask handler reads, in source order."""

    def is_req_attr(node: ast.AST, attrs: tuple[str, ...]) -> bool:
        return (
            isinstance(node, ast.Attribute)
            and node.attr in attrs
            and isinstance(node.value, ast.Name)
            and node.value.id in request_names
        )

    def is_json(node: ast.AST) -> bool:
        if isinstance(node, ast.BoolOp):
            return is_json(node.values[0])
        if isinstance(node, ast.Call) and is_req_attr(node.func, ("get_json",)):
            return True
        if isinstance(node, ast.Attribute) and node.attr == "payload":  # flask-restx `api.payload`, `ns.payload`
            return True
        return is_req_attr(node, ("json",)) or (isinstance(node, ast.Name) and node.id in json_names)

    def is_args(node: ast.AST) -> bool:
        return is_req_attr(node, ("args", "values")) or (isinstance(node, ast.Name) and node.id in args_names)

    json_names: set[str] = set()
    args_names: set[str] = set()
    for node in ast.walk(fn):
        target, value = assignment(node)
        if target and value is not None:
            if is_json(value):
                json_names.add(target)
            elif is_args(value):
                args_names.add(target)
    query: list[str] = []
    body: list[str] = []
    for node in ast.walk(fn):
        owner: ast.AST | None = None
        key: str | None = None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
            if node.func.attr in ("get", "getlist", "pop"):
                owner, key = node.func.value, str_const(node.args[0])
        elif isinstance(node, ast.Subscript):
            owner, key = node.value, str_const(node.slice)
        if owner is None or key is None:
            continue
        if is_args(owner) and key not in query:
            query.append(key)
        elif is_json(owner) and key not in body:
            body.append(key)
    return query, body


def _annotation_name(node: ast.AST | None) -> str:
    """`Optional[int]`, `int | None`, `Annotated[int, ...]` -> `int`."""
    if isinstance(node, ast.Subscript):
        inner = node.slice.elts[0] if isinstance(node.slice, ast.Tuple) else node.slice
        if call_name(node.value) in ("Optional", "Annotated", "Union"):
            return _annotation_name(inner)
        return call_name(node.value)
    if isinstance(node, ast.BinOp):
        left = _annotation_name(node.left)
        return left if left not in ("None", "") else _annotation_name(node.right)
    if isinstance(node, ast.Constant) and node.value is None:
        return "None"
    return call_name(node) if isinstance(node, ast.Name | ast.Attribute) else ""


def _fastapi_params(
    proj: _Project, mod: Module, fn: ast.FunctionDef | ast.AsyncFunctionDef, path: str
) -> tuple[list[str], list[tuple[str, str]]]:
    """Query parameters (scalar parameters not in the path) and body fields (a pydantic model parameter)."""
    path_params = set(PARAM_RE.findall(path))
    args = fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs
    defaults: dict[str, ast.expr] = {}
    pos = fn.args.posonlyargs + fn.args.args
    for a, d in zip(pos[len(pos) - len(fn.args.defaults) :], fn.args.defaults, strict=True):
        defaults[a.arg] = d
    for a, d in zip(fn.args.kwonlyargs, fn.args.kw_defaults, strict=True):
        if d is not None:
            defaults[a.arg] = d
    query: list[str] = []
    body: list[tuple[str, str]] = []
    for a in args:
        if a.arg in path_params or a.arg in ("self", "cls"):
            continue
        default = defaults.get(a.arg)
        marker = call_name(default) if isinstance(default, ast.Call) else ""
        ann = a.annotation
        if isinstance(ann, ast.Subscript) and call_name(ann.value) == "Annotated" and isinstance(ann.slice, ast.Tuple):
            marker = next((call_name(e) for e in ann.slice.elts[1:] if isinstance(e, ast.Call)), marker)
        if marker in _NOT_QUERY:
            continue
        tname = _annotation_name(a.annotation)
        if tname in _SCALARS or marker == "Query":
            query.append(a.arg)
            continue
        ref = proj.ref(mod, ast.Name(id=tname)) if tname else None
        cls = proj.classes.get(proj.canonical(ref)) if ref else None
        if cls is not None:
            for stmt in cls[1].body:
                if (
                    isinstance(stmt, ast.AnnAssign)
                    and isinstance(stmt.target, ast.Name)
                    and stmt.target.id != "model_config"
                ):
                    body.append((stmt.target.id, _JSON_TYPES.get(_annotation_name(stmt.annotation), "string")))
    return query, body


def _request_names(mod: Module) -> set[str]:
    names = {n for n, target in mod.imports.items() if target == "flask.request"}
    return names or {"request"}


@dataclass(slots=True)
class RouteMap:
    routes: list[Route]
    problems: list[str]  # files that could not be parsed
    modules: list[Module] = field(default_factory=list)

    def by_file(self) -> dict[str, dict[int, list[Route]]]:
        """file -> handler def line -> the routes that handler serves."""
        out: dict[str, dict[int, list[Route]]] = {}
        for r in self.routes:
            out.setdefault(r.file, {}).setdefault(r.line, []).append(r)
        return out


def route_map(workdir: Path, root: Path) -> RouteMap:
    """Every route declared in any Python file under `workdir` (no entry module known), sorted by file and line."""
    return routes_of(walk(workdir, root))


def routes_of(sc: Scope) -> RouteMap:
    """Every route the scope's modules declare, sorted by file and line.

    Two files declaring one route (a dead copy beside the live module): the one ranked in scope wins
    (`Scope.rank`), then the first by file and line.
    """
    mods, problems = sc.modules, sc.problems
    proj = _Project(mods)
    incl = _includes(proj)
    routes: dict[tuple[str, str], Route] = {}
    raws = _decorated(proj) + _rules(proj) + _resources(proj)
    for raw in sorted(raws, key=lambda r: (sc.rank.get(r.mod.rel, 0), r.mod.rel, r.func.lineno)):
        framework = _framework(proj, raw)
        for prefix in _prefixes(proj, incl, raw.receiver):
            path = normalise_path(prefix + ("/" if raw.path and not raw.path.startswith("/") else "") + raw.path)
            if framework == "flask":
                query, fields = _flask_reads(raw.func, _request_names(raw.mod))
                body_types = [(f, "string") for f in fields]
            else:
                query, body_types = _fastapi_params(proj, raw.mod, raw.func, path)
            for method in raw.methods:
                routes.setdefault(
                    (method, path),
                    Route(
                        method=method,
                        path=path,
                        file=raw.mod.rel,
                        line=raw.func.lineno,
                        handler=raw.qualname,
                        framework=framework,
                        query_params=tuple(query),
                        body_fields=tuple(f for f, _ in body_types),
                        body_types=tuple(body_types),
                    ),
                )
    routes_sorted = sorted(routes.values(), key=lambda r: (r.file, r.line, r.method))
    return RouteMap(routes=routes_sorted, problems=problems, modules=mods)


def attach(spec: Spec, sc: Scope) -> Spec:
    """Give every operation its handler's file and line; without operations, the route map is the list.

    The spec also carries the files read (`Spec.files`) and how they were chosen (`Spec.notes`). Fails
    closed: a service without an OpenAPI document whose source declares no route would otherwise be
    scanned with nothing to attack and pass.
    """
    rmap = routes_of(sc)
    notes = [*spec.notes, *sc.notes]
    if not spec.operations:
        if not rmap.routes:
            where = f"the files {sc.entry} imports" if sc.entry else f"the Python source under {sc.workdir}"
            raise ScanError(
                f"no OpenAPI document and no route found in {where}: give an OpenAPI document (`openapi:`), "
                "or point source.entry / service.workdir at the service's code",
                rmap.problems[:10],
            )
        ops = [r.operation() for r in rmap.routes]
        return Spec(operations=ops, source="Python source", notes=notes, files=sc.files)
    index: dict[tuple[str, str], Route] = {}
    for r in rmap.routes:
        index.setdefault((r.method, match_key(r.path)), r)
    ops = []
    for op in spec.operations:
        r = index.get((op.method, match_key(op.path)))
        ops.append(replace(op, file=r.file, line=r.line) if r and op.file is None else op)
    return Spec(operations=ops, source=spec.source, notes=notes, files=sc.files)
