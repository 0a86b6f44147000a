"""How callers authenticate, read off the code: the JWT library, where its secret comes from, the
algorithm and the subject claim; the login and sign-up routes; API-key headers; the role check.

The gate mints the identities' tokens itself when the service reads its JWT secret from the
environment (`os.environ["JWT_SECRET"]` -> `auth.jwt.secret_env: JWT_SECRET`): it hands the service
a fresh key per scan. A secret written into the code cannot be handed over; then the identities log
in through the service's own sign-up and login routes when both are visible.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from gate.init.code import Code, EnvRead, Function
from gate.target.pysource import Module, assignment, call_name, iter_functions, kwarg, str_const
from gate.target.routes import Route

_JWT_MODULES = ("jwt", "jose", "authlib.jose", "jwcrypto")
_TOKEN_MAKERS = {"create_access_token", "encode_jwt", "create_token", "make_token", "issue_token", "sign"}
_REGISTERED = {"exp", "iat", "nbf", "iss", "aud", "jti", "type", "typ", "scope", "scopes", "role", "roles"}
_SUBJECTS = ("sub", "user_id", "uid", "userId", "id", "username", "email")
_ROLE_KEYS = ("role", "roles", "is_admin", "admin", "groups", "scope", "scopes", "permissions", "is_staff")
_LOGIN_NAMES = {"email", "username", "login", "user", "user_name", "email_address"}
_SIGNUP_WORDS = ("register", "signup", "sign-up", "sign_up", "join", "users", "accounts")
_FLASK_SECRET_KEYS = {"JWT_SECRET_KEY", "SECRET_KEY"}


@dataclass(slots=True)
class Flow:
    """A login or sign-up route and its body, with `{email}`/`{password}`/`{name}` placeholders."""

    path: str
    method: str
    body: dict[str, str]
    form: bool = False
    token: str = "access_token"
    where: str = ""


@dataclass(slots=True)
class Auth:
    library: str | None = None  # the JWT module imported (`jwt`, `jose`, `flask_jwt_extended`)
    secret_env: str | None = None
    secret_literal: str | None = None  # file:line of a secret written into the code
    secret_where: str = ""
    algorithm: str = "HS256"
    subject_claim: str = "sub"
    subject_shape: str = "plain"  # plain | uuid | email
    role: tuple[str, str, bool] | None = None  # (attribute, admin value, read from the token's claims)
    login: Flow | None = None
    register: Flow | None = None
    api_key_header: str | None = None
    algorithm_env: EnvRead | None = None  # the algorithm is read from this variable, with no default
    notes: list[str] = field(default_factory=list)

    @property
    def mints(self) -> bool:
        """The gate can mint the identities' tokens: a JWT whose secret the service reads from its env."""
        return self.library is not None and self.secret_env is not None


def _jwt_call(mod: Module, call: ast.Call, op: str) -> bool:
    """`jwt.decode(...)`, `jose.jwt.decode(...)`, `from jwt import decode; decode(...)`."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr == op:
        base = func.value
        name = base.id if isinstance(base, ast.Name) else base.attr if isinstance(base, ast.Attribute) else ""
        target = mod.imports.get(name, name) if isinstance(base, ast.Name) else f"x.{name}"
        return target.split(".")[0] in ("jwt", "jose", "authlib") or target.endswith(".jwt")
    if isinstance(func, ast.Name) and func.id == op:
        return mod.imports.get(op, "").startswith(_JWT_MODULES)
    return False


def _algorithm(code: Code, mod: Module, node: ast.AST | None, auth: Auth) -> None:
    if isinstance(node, ast.List | ast.Tuple) and node.elts:
        node = node.elts[0]
    value = code.value(mod, node)
    if value.literal:
        auth.algorithm = value.literal
    elif value.env is not None:  # settings.token_algo with no default: the service is told the gate's
        auth.algorithm_env = value.env


def _secret(code: Code, mod: Module, node: ast.AST | None, auth: Auth) -> None:
    if node is None or auth.secret_env:
        return
    value = code.value(mod, node)
    if value.env is not None:  # wins over a literal seen first (a dev default, a dead copy)
        auth.secret_env = value.env.var
        auth.secret_where = value.env.where
        auth.secret_literal = None
    elif value.literal is not None and auth.secret_literal is None:
        auth.secret_literal = code.where(mod, node)


def _claims_read(fn: ast.AST, decoded: set[str]) -> list[str]:
    """Keys read from the decoded claims: `payload["sub"]`, `payload.get("sub")`, `jwt.decode(...)["sub"]`."""
    out: list[str] = []
    for node in ast.walk(fn):
        key = None
        if isinstance(node, ast.Subscript) and _is_claims(node.value, decoded):
            key = str_const(node.slice)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and _is_claims(node.func.value, decoded)
            and node.args
        ):
            key = str_const(node.args[0])
        if key and key not in out:
            out.append(key)
    return out


def _is_claims(node: ast.AST, decoded: set[str]) -> bool:
    return (isinstance(node, ast.Name) and node.id in decoded) or (
        isinstance(node, ast.Call) and call_name(node) == "decode"
    )


def _jwt(code: Code, auth: Auth) -> None:
    claims: list[str] = []
    payload_keys: list[str] = []
    for mod, call in code.calls():
        if _jwt_call(mod, call, "decode"):
            auth.library = auth.library or _library(mod)
            _secret(code, mod, call.args[1] if len(call.args) > 1 else kwarg(call, "key", "secret"), auth)
            _algorithm(code, mod, kwarg(call, "algorithms"), auth)
        elif _jwt_call(mod, call, "encode"):
            auth.library = auth.library or _library(mod)
            _secret(code, mod, call.args[1] if len(call.args) > 1 else kwarg(call, "key", "secret"), auth)
            _algorithm(code, mod, kwarg(call, "algorithm") or (call.args[2] if len(call.args) > 2 else None), auth)
            if call.args and isinstance(call.args[0], ast.Dict):
                payload_keys += [k for k in map(str_const, call.args[0].keys) if k]
    for mod in code.modules:  # flask-jwt-extended: app.config["JWT_SECRET_KEY"] = os.environ[...]
        if any(t.startswith("flask_jwt_extended") for t in mod.imports.values()):
            auth.library = auth.library or "Flask-JWT-Extended"
        for node in ast.walk(mod.tree):
            if not (isinstance(node, ast.Assign) and isinstance(t := node.targets[0], ast.Subscript)):
                continue
            if str_const(t.slice) in _FLASK_SECRET_KEYS and auth.library:
                _secret(code, mod, node.value, auth)
    for mod in code.modules:
        for _, fn in iter_functions(mod.tree):
            decoded = {
                t for node in ast.walk(fn) for t, v in [assignment(node)] if t and isinstance(v, ast.Call)
                and _jwt_call(mod, v, "decode")
            }  # fmt: skip
            claims += [c for c in _claims_read(fn, decoded) if c not in claims]
    for pool in (claims, payload_keys):
        subject = next((s for s in _SUBJECTS if s in pool), None) or next(
            (c for c in pool if c not in _REGISTERED), None
        )
        if subject:
            auth.subject_claim = subject
            break
    for key in claims:
        if key in _ROLE_KEYS:
            auth.role = (key, "admin", True)


_LIBRARIES = {"jwt": "PyJWT", "jose": "python-jose", "authlib": "Authlib", "jwcrypto": "jwcrypto"}


def _library(mod: Module) -> str:
    for target in mod.imports.values():
        if target.startswith(_JWT_MODULES):
            return _LIBRARIES.get(target.split(".")[0], target.split(".")[0])
    return "PyJWT"


def _role_check(code: Code, auth: Auth) -> None:
    """`claims.get("role") == "admin"`, `user["role"] != "admin"`, `"admin" in user["roles"]`."""
    for mod in code.modules:
        for node in ast.walk(mod.tree):
            if not (isinstance(node, ast.Compare) and len(node.comparators) == 1):
                continue
            sides = [node.left, node.comparators[0]]
            value = next((str_const(s) for s in sides if str_const(s)), None)
            key = next((k for s in sides if (k := _read_key(s))), None)
            if key in _ROLE_KEYS and value:
                from_claims = auth.role is not None and auth.role[0] == key
                auth.role = (key, value, from_claims)
                return
            if key in ("is_admin", "is_staff", "admin") and isinstance(node.comparators[0], ast.Constant):
                auth.role = (key, "true", auth.role is not None and auth.role[0] == key)
                return


def _read_key(node: ast.AST) -> str | None:
    if isinstance(node, ast.Subscript):
        return str_const(node.slice)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" and node.args:
        return str_const(node.args[0])
    if isinstance(node, ast.Attribute) and node.attr in _ROLE_KEYS:
        return node.attr
    return None


def _makes_token(code: Code, mod: Module, fn: Function) -> bool:
    for m, f in code.reached(mod, fn):
        for node in ast.walk(f):
            if isinstance(node, ast.Call) and (_jwt_call(m, node, "encode") or call_name(node) in _TOKEN_MAKERS):
                return True
    return False


def _token_key(fn: Function) -> str:
    for node in ast.walk(fn):
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Dict):
            for k in map(str_const, node.value.keys):
                if k and "token" in k.lower():
                    return k
    return "access_token"


def _names(node: ast.AST | None) -> set[str]:
    """Every name in an annotation (`Annotated[OAuth2PasswordRequestForm, Depends()]`)."""
    return {call_name(n) for n in ast.walk(node) if isinstance(n, ast.Name | ast.Attribute)} if node else set()


def _password_route(code: Code, route: Route) -> tuple[Module, Function, dict[str, str], bool] | None:
    """The handler and body of a POST route that takes a password, or None."""
    if route.method not in ("POST", "PUT"):
        return None
    hit = code.handler(route)
    if hit is None:
        return None
    mod, fn = hit
    oauth2 = any(_names(a.annotation) & {"OAuth2PasswordRequestForm"} for a in fn.args.args if a.annotation)
    form = oauth2 or any(isinstance(d, ast.Call) and call_name(d) == "Form" for d in fn.args.defaults)
    fields = list(route.body_fields) or [a.arg for a in fn.args.args]
    if oauth2 and not route.body_fields:  # the OAuth2 password form: username and password, form-encoded
        fields = ["username", "password"]
    if not any("password" in f.lower() for f in fields):
        return None
    body: dict[str, str] = {}
    for f in fields:
        low = f.lower()
        if low == "password" or (low.startswith("password") and "confirm" not in low):
            body.setdefault(f, "{password}")
        elif "confirm" in low and "password" in low:
            body[f] = "{password}"
        elif low in _LOGIN_NAMES:
            body[f] = "{email}"
        elif low in ("name", "full_name", "display_name"):
            body[f] = "{name}"
    return mod, fn, body, form


def _flows(code: Code, auth: Auth) -> None:
    for route in code.routes:
        found = _password_route(code, route)
        if found is None:
            continue
        mod, fn, body, form = found
        where = f"{route.file}:{route.line}"
        if auth.login is None and _makes_token(code, mod, fn) and "{email}" in body.values():
            auth.login = Flow(route.path, route.method, body, form, _token_key(fn), where)
        elif auth.register is None and any(w in route.path.lower() for w in _SIGNUP_WORDS):
            auth.register = Flow(route.path, route.method, body, form, where=where)


def _api_key(code: Code, auth: Auth) -> None:
    """`request.headers["X-Api-Key"]`, `.get("X-API-Key")`, `Header(alias=...)`, `APIKeyHeader(name=...)`."""
    for _mod, call in code.calls():
        name = call_name(call)
        header = None
        if name == "APIKeyHeader":
            header = str_const(kwarg(call, "name")) or (str_const(call.args[0]) if call.args else None)
        elif name == "Header":
            header = str_const(kwarg(call, "alias"))
        elif (
            name == "get"
            and isinstance(call.func, ast.Attribute)
            and isinstance(call.func.value, ast.Attribute)
            and call.func.value.attr == "headers"
            and call.args
        ):
            header = str_const(call.args[0])
        if header and "key" in header.lower():
            auth.api_key_header = header
            return
    for mod in code.modules:
        for node in ast.walk(mod.tree):
            if (
                isinstance(node, ast.Subscript)
                and isinstance(node.value, ast.Attribute)
                and node.value.attr == "headers"
            ):
                header = str_const(node.slice)
                if header and "key" in header.lower():
                    auth.api_key_header = header
                    return


def _subject_shape(code: Code, auth: Auth) -> None:
    """UUID where the code parses the caller's id as one, an e-mail where the subject is the e-mail."""
    if auth.subject_claim == "email":
        auth.subject_shape = "email"
        return
    for _mod, call in code.calls():
        if call_name(call) == "UUID" and call.args and not isinstance(call.args[0], ast.Constant):
            auth.subject_shape = "uuid"
            return
    for mod in code.modules:
        for node in ast.walk(mod.tree):
            typed = isinstance(node, ast.arg) and call_name(node.annotation or ast.Name(id="")) == "UUID"
            if typed and any(w in node.arg.lower() for w in ("user", "owner", "account", "sub")):  # type: ignore[attr-defined]
                auth.subject_shape = "uuid"
                return


def find_auth(code: Code) -> Auth:
    auth = Auth()
    _jwt(code, auth)
    _role_check(code, auth)
    _flows(code, auth)
    _api_key(code, auth)
    _subject_shape(code, auth)
    return auth
