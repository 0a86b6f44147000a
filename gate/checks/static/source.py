"""One parsed source file and the questions every static check asks of it.

A static check is a pure function `check(src: SourceFile) -> Iterator[Hit]`: no I/O, no code of
the service executed. The helpers here answer the shared questions once: what does a callee
resolve to through the imports, is this node inside a request handler, does that handler (or a
dependency or decorator of it) check a role, which names hold the raw request body, which string
literals can an expression evaluate to.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from gate.findings import FamilyMeta
from gate.target.pysource import assignment, call_name, iter_functions, kwarg, str_const
from gate.target.routes import Route

# The static family: each rule module declares its check through STATIC.check(...).
STATIC = FamilyMeta(name="static", owasp=("API8:2023",))

Func = ast.FunctionDef | ast.AsyncFunctionDef

EXCERPT_CHARS = 200
ROLE_WORDS = re.compile(r"role|admin|staff|superuser|permission|scope|group|privilege", re.I)
# Words that make a value a credential. `pw`/`pwd` only as whole names, to spare `pwd.getpwnam`.
SECRET_WORD = re.compile(
    r"pass(word|wd|phrase)|^pwd?$|_pwd?$|^pwd?_|secrets?($|_)|tokens?($|_)|authorization|api_?key|access_?key|"
    r"credential|cookie",
    re.I,
)
# Names that describe a credential without being one (`token_type`, `password_length`, `verify_signature`)
# and pagination cursors that DynamoDB and AWS APIs call tokens (`next_token`, `starting_token`).
BENIGN_SUFFIX = re.compile(
    r"_(type|types|count|len|length|name|names|url|uri|expires|expiry|exp|ttl|kind|field|fields|policy|"
    r"hint|min|max|set|endpoint|header|path|id|ids|sent|changed|reset|required|valid|ok|version|func|fn)$|"
    r"^(verify|is|has|use|should)_|(next|page|start|starting|continuation|pagination|resume)_?token",
    re.I,
)
_REDACT_CALLS = {"len", "bool", "type", "isinstance", "mask", "redact", "hash", "id", "sha256"}
_ERROR_HANDLER_DECORATORS = {"errorhandler", "exception_handler", "register_error_handler"}


def masked(secret: str) -> str:
    """What evidence shows of a hard-coded secret: its first four characters, if it is long enough."""
    return secret[:4] + "…" if len(secret) > 12 else "…"


def mask(text: str, secrets: list[str]) -> str:
    for s in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(s, masked(s))
    return text


def is_secret_name(name: str) -> bool:
    return bool(SECRET_WORD.search(name)) and not BENIGN_SUFFIX.search(name)


@dataclass(frozen=True, slots=True)
class Hit:
    """One place a static check matched; the runner turns it into a Finding with code evidence."""

    line: int
    message: str
    key: str  # what tells this hit apart within its scope (part of the fingerprint, never a line number)
    scope: str  # enclosing function qualname, or "<module>"
    method: str = ""  # the route the enclosing handler serves, if any
    route: str = ""
    secret: str | None = None  # a literal to mask in every excerpt of this file


@dataclass
class SourceFile:
    rel: str  # relative to the scan root
    text: str
    tree: ast.Module
    handlers: dict[int, list[Route]] = field(default_factory=dict)  # handler def line -> routes
    lines: list[str] = field(default_factory=list)
    parents: dict[ast.AST, ast.AST] = field(default_factory=dict)
    imports: dict[str, str] = field(default_factory=dict)
    functions: dict[str, Func] = field(default_factory=dict)  # simple name -> first definition
    qualnames: dict[Func, str] = field(default_factory=dict)
    constants: dict[str, ast.expr] = field(default_factory=dict)  # module/class-level NAME = value

    @classmethod
    def parse(cls, text: str, rel: str = "app.py", handlers: dict[int, list[Route]] | None = None) -> SourceFile:
        """Parse `text`; raises SyntaxError. `handlers` comes from the route map (gate.target.routes)."""
        return cls.of(text, ast.parse(text, filename=rel), rel, handlers)

    @classmethod
    def of(cls, text: str, tree: ast.Module, rel: str, handlers: dict[int, list[Route]] | None = None) -> SourceFile:
        src = cls(rel=rel, text=text, tree=tree, handlers=handlers or {}, lines=text.splitlines())
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                src.parents[child] = node
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    src.imports[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom):
                for a in node.names:
                    src.imports[a.asname or a.name] = f"{node.module}.{a.name}" if node.module else a.name
        for q, fn in iter_functions(tree):
            src.functions.setdefault(fn.name, fn)
            src.qualnames[fn] = q
        bodies = [tree.body] + [n.body for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
        counts: dict[str, int] = {}
        for body in bodies:
            for stmt in body:
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [getattr(stmt, "target", None)]
                value = getattr(stmt, "value", None)
                for t in targets:
                    if isinstance(t, ast.Name) and value is not None:
                        counts[t.id] = counts.get(t.id, 0) + 1
                        src.constants[t.id] = value
        for name, n in counts.items():  # a name assigned twice is not a constant
            if n > 1:
                del src.constants[name]
        return src

    # -- names ----------------------------------------------------------------------------------
    def qualname(self, node: ast.AST) -> str:
        """Dotted name of an expression through the imports: `hashlib.md5`, `jwt.decode`, `table.scan`."""
        node = node.func if isinstance(node, ast.Call) else node
        attrs: list[str] = []
        while isinstance(node, ast.Attribute):
            attrs.insert(0, node.attr)
            node = node.value
        if isinstance(node, ast.Call):  # boto3.resource("dynamodb").Table(...)
            return ".".join([self.qualname(node) + "()", *attrs])
        if not isinstance(node, ast.Name):
            return ".".join(["?", *attrs])
        return ".".join([self.imports.get(node.id, node.id), *attrs])

    def resolve(self, node: ast.AST | None, depth: int = 0) -> ast.AST | None:
        """A Name bound once at module or class level stands for its value."""
        while isinstance(node, ast.Name) and node.id in self.constants and depth < 5:
            node = self.constants[node.id]
            depth += 1
        return node

    def literals(self, node: ast.AST | None, depth: int = 0) -> list[tuple[str, ast.AST]]:
        """String literals an expression may evaluate to, with the node that holds each one.

        Follows module constants, `x or "default"`, conditional expressions, f-strings (their first
        literal part) and `os.environ.get(NAME, "default")` / `os.getenv(NAME, "default")` defaults.
        """
        if node is None or depth > 6:
            return []
        if isinstance(node, ast.Name):
            target = self.resolve(node)
            return self.literals(target, depth + 1) if target is not node else []
        if isinstance(node, ast.Constant):
            return [(node.value, node)] if isinstance(node.value, str) else []
        if isinstance(node, ast.JoinedStr):
            first = node.values[0] if node.values else None
            return [(first.value, node)] if isinstance(first, ast.Constant) and isinstance(first.value, str) else []
        if isinstance(node, ast.BoolOp):
            return [x for v in node.values for x in self.literals(v, depth + 1)]
        if isinstance(node, ast.IfExp):
            return self.literals(node.body, depth + 1) + self.literals(node.orelse, depth + 1)
        if isinstance(node, ast.Call) and self.is_env_read(node):
            default = node.args[1] if len(node.args) > 1 else kwarg(node, "default")
            return self.literals(default, depth + 1)
        return []

    def is_env_read(self, call: ast.Call) -> bool:
        q = self.qualname(call)
        return q in ("os.getenv", "os.environ.get", "os.environ.setdefault") or q.endswith("environ.get")

    def is_false(self, node: ast.AST | None) -> bool:
        node = self.resolve(node)
        return isinstance(node, ast.Constant) and node.value is False

    # -- where a node is ------------------------------------------------------------------------
    def enclosing(self, node: ast.AST) -> Func | None:
        cur = self.parents.get(node)
        while cur is not None and not isinstance(cur, ast.FunctionDef | ast.AsyncFunctionDef):
            cur = self.parents.get(cur)
        return cur

    def scope(self, node: ast.AST) -> str:
        fn = node if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) else self.enclosing(node)
        return self.qualnames.get(fn, "<module>") if fn is not None else "<module>"

    def handler_of(self, node: ast.AST) -> Func | None:
        """The request handler (a routed function, or an error handler) that contains `node`."""
        fn = node if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) else self.enclosing(node)
        while fn is not None:
            if fn.lineno in self.handlers or self.is_error_handler(fn):
                return fn
            fn = self.enclosing(fn)
        return None

    def is_error_handler(self, fn: Func) -> bool:
        return any(call_name(d) in _ERROR_HANDLER_DECORATORS for d in fn.decorator_list if isinstance(d, ast.Call))

    def hit(self, node: ast.AST, message: str, key: str, secret: str | None = None, line: int | None = None) -> Hit:
        handler = self.handler_of(node)
        routes = self.handlers.get(handler.lineno, []) if handler is not None else []
        return Hit(
            line=line or getattr(node, "lineno", 1),
            message=message,
            key=key,
            scope=self.scope(node),
            method=routes[0].method if routes else "",
            route=routes[0].path if routes else "",
            secret=secret,
        )

    def excerpt(self, line: int, secrets: list[str] | None = None) -> str:
        """The source line, trimmed, with hard-coded secrets masked and control characters dropped."""
        text = self.lines[line - 1].strip() if 0 < line <= len(self.lines) else ""
        text = "".join(ch if ch.isprintable() else " " for ch in mask(text, secrets or []))
        return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"

    # -- authorization --------------------------------------------------------------------------
    def checks_role(self, fn: Func, depth: int = 0) -> bool:
        """The function, a decorator, a FastAPI dependency or a helper it calls tests a role or permission."""
        if depth > 3:
            return False
        for node in ast.walk(fn):
            test = node.test if isinstance(node, ast.If | ast.IfExp | ast.Assert | ast.While) else None
            if isinstance(node, ast.Compare):
                test = node
            if test is not None and mentions(test, ROLE_WORDS):
                return True
        for dec in fn.decorator_list:
            name = call_name(dec)
            target = self.functions.get(name)
            if ROLE_WORDS.search(name) and name not in ("route", "get", "post", "put", "patch", "delete"):
                return True
            if target is not None and target is not fn and self.checks_role(target, depth + 1):
                return True
            if isinstance(dec, ast.Call):
                for dep in self.dependencies(kwarg(dec, "dependencies")):
                    if self.checks_role(dep, depth + 1):
                        return True
        for dep in self.param_dependencies(fn):
            if self.checks_role(dep, depth + 1):
                return True
        for dec in self.class_decorators(fn):  # flask-restx/MethodView `method_decorators = [admin_required]`
            target = self.functions.get(call_name(dec))
            if ROLE_WORDS.search(call_name(dec)) or (target is not None and self.checks_role(target, depth + 1)):
                return True
        for node in ast.walk(fn):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                target = self.functions.get(node.func.id)
                if target is not None and target is not fn and self.checks_role(target, depth + 1):
                    return True
        return False

    def class_decorators(self, fn: Func) -> list[ast.expr]:
        """The decorators a class-based view applies to each of its methods (`method_decorators`, `decorators`)."""
        cls = self.parents.get(fn)
        if not isinstance(cls, ast.ClassDef):
            return []
        out: list[ast.expr] = []
        for stmt in cls.body:
            target, value = assignment(stmt)
            if target in ("method_decorators", "decorators") and isinstance(value, ast.List | ast.Tuple):
                out += value.elts
        return out

    def dependencies(self, node: ast.AST | None) -> list[Func]:
        """Functions named in `Depends(fn)` / `Security(fn)` calls inside `node`."""
        out: list[Func] = []
        if node is None:
            return out
        for sub in ast.walk(node):
            if isinstance(sub, ast.Call) and call_name(sub) in ("Depends", "Security") and sub.args:
                target = sub.args[0]
                if isinstance(target, ast.Name) and target.id in self.functions:
                    out.append(self.functions[target.id])
        return out

    def param_dependencies(self, fn: Func) -> list[Func]:
        nodes: list[ast.AST] = [*fn.args.defaults, *(d for d in fn.args.kw_defaults if d is not None)]
        nodes += [a.annotation for a in fn.args.args + fn.args.kwonlyargs if a.annotation is not None]
        return [d for n in nodes for d in self.dependencies(n)]

    # -- request data ---------------------------------------------------------------------------
    def request_bodies(self, fn: Func) -> set[str]:
        """Names in `fn` holding the raw request body: Flask `request.get_json()`, a FastAPI `dict` body."""
        names: set[str] = set()
        for a in fn.args.args + fn.args.kwonlyargs:
            ann = a.annotation
            base = ann.value if isinstance(ann, ast.Subscript) else ann
            if base is not None and call_name(base) in ("dict", "Dict", "Mapping", "MutableMapping"):
                names.add(a.arg)
        for _ in range(2):  # aliases of aliases
            for node in ast.walk(fn):
                target, value = assignment(node)
                if target and value is not None and self.is_request_body(value, names):
                    names.add(target)
        return names

    def is_request_body(self, node: ast.AST, names: set[str]) -> bool:
        if isinstance(node, ast.Name):
            return node.id in names
        if isinstance(node, ast.BoolOp):
            return self.is_request_body(node.values[0], names)
        if isinstance(node, ast.Await):
            return self.is_request_body(node.value, names)
        if isinstance(node, ast.Call):
            if call_name(node) == "dict" and node.args:
                return self.is_request_body(node.args[0], names)
            if isinstance(node.func, ast.Attribute) and node.func.attr in ("get_json", "json"):
                return _is_request(node.func.value)
            return False
        if isinstance(node, ast.Attribute) and node.attr == "payload":  # flask-restx `api.payload`, `ns.payload`
            return isinstance(node.value, ast.Name)
        return isinstance(node, ast.Attribute) and node.attr in ("json", "form", "values") and _is_request(node.value)


def _is_request(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id in ("request", "req")


def names_in(node: ast.AST) -> Iterator[str]:
    """Identifiers, attribute names and constant string keys/arguments inside an expression."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            yield sub.id
        elif isinstance(sub, ast.Attribute):
            yield sub.attr
        elif isinstance(sub, ast.Constant) and isinstance(sub.value, str) and len(sub.value) <= 40:
            yield sub.value


def mentions(node: ast.AST, pattern: re.Pattern[str]) -> bool:
    return any(pattern.search(n) for n in names_in(node))


def sensitive_value(node: ast.AST) -> str | None:
    """The credential an expression carries (`password`, `request.headers`, `token`), if any.

    Values wrapped in len()/bool()/type()/mask()/redact() carry none.
    """
    if isinstance(node, ast.Call):
        name = call_name(node)
        if name in _REDACT_CALLS or name.startswith(("mask", "redact", "hash")):
            return None
        if isinstance(node.func, ast.Attribute) and node.func.attr == "get" and node.args:
            key = str_const(node.args[0])  # `headers.get("User-Agent")` is harmless, `.get("Authorization")` not
            return key if key and is_secret_name(key.replace("-", "_")) else None
        for a in [*node.args, *(k.value for k in node.keywords)]:
            found = sensitive_value(a)
            if found:
                return found
        return None
    if isinstance(node, ast.Name):
        return node.id if is_secret_name(node.id) else None
    if isinstance(node, ast.Attribute):
        if node.attr in ("headers", "authorization", "cookies") and _is_request(node.value):
            return f"request.{node.attr}"
        if is_secret_name(node.attr):
            return node.attr
        return None
    if isinstance(node, ast.Subscript):
        key = str_const(node.slice)
        if key is not None:
            return key if is_secret_name(key.replace("-", "_")) else None
        return sensitive_value(node.value)
    if isinstance(node, ast.JoinedStr):
        for v in node.values:
            if isinstance(v, ast.FormattedValue):
                found = sensitive_value(v.value)
                if found:
                    return found
        return None
    if isinstance(node, ast.BinOp | ast.BoolOp | ast.Tuple | ast.List | ast.Dict):
        for child in ast.iter_child_nodes(node):
            found = sensitive_value(child)
            if found:
                return found
    return None
