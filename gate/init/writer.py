"""The commented `.authgate.yml` that `authgate init` writes: flow-style lines like the examples', each
block saying where in the code it was read, `TODO` only where a human must decide."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from gate.init.auth import Auth, Flow
from gate.init.code import EnvRead
from gate.init.identities import Fixture, Identity
from gate.init.service import App
from gate.init.tables import Table

_PLAIN = re.compile(r"[A-Za-z_/][\w./@-]*")
_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


@dataclass(slots=True)
class Plan:
    """Everything init found, ready to be written."""

    directory: str
    app: App | None
    command: str
    ready: str
    env: dict[str, str]
    env_where: list[str]
    missing_env: list[EnvRead]
    tables: list[Table]
    template: str | None
    unresolved_template: str | None
    auth: Auth
    identities: list[Identity]
    fixtures: list[Fixture]
    public: list[str]
    notes: list[str] = field(default_factory=list)


def scalar(v: Any) -> str:
    if isinstance(v, bool) or v is None or isinstance(v, int | float):
        return json.dumps(v)
    text = str(v)
    if _PLAIN.fullmatch(text) and text.lower() not in _RESERVED:
        return text
    return json.dumps(text, ensure_ascii=False)


def flow(v: Any) -> str:
    if isinstance(v, dict):
        return "{" + ", ".join(f"{scalar(k)}: {flow(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list | tuple):
        return "[" + ", ".join(flow(x) for x in v) + "]"
    return scalar(v)


class _Lines:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.todos: list[int] = []

    def add(self, text: str = "") -> None:
        self.lines.append(text)

    def comment(self, indent: int, text: str) -> None:
        self.add(" " * indent + "# " + text)

    def todo(self, indent: int, text: str) -> None:
        self.comment(indent, "TODO: " + text)
        self.todos.append(len(self.lines))


def _service(out: _Lines, plan: Plan) -> None:
    out.add("service:")
    app = plan.app
    if app is None:
        out.todo(2, "no FastAPI or Flask app was found: give the command that starts the service on {port}")
    else:
        kind = "FastAPI" if app.framework == "fastapi" else "Flask"
        what = f"app factory `{app.obj}()`" if app.factory else f"app `{app.obj}`"
        out.comment(2, f"{kind} {what} at {app.where}")
    out.add(f"  command: {scalar(plan.command)}")
    if app is not None and app.workdir != ".":
        out.add(f"  workdir: {scalar(app.workdir)}")
    if plan.env:
        out.comment(2, "what the code reads from the environment (" + ", ".join(plan.env_where) + ")")
        out.add(f"  env: {flow(plan.env)}")
    for env in plan.missing_env:
        out.todo(2, f"the code needs {env.var}, it has no default ({env.where}): give its value in env")
    out.add(f"  ready: {scalar(plan.ready)}")
    out.add("  startup_timeout: 30")


def _openapi(out: _Lines, plan: Plan) -> None:
    app = plan.app
    if app is not None and app.framework == "fastapi":
        out.comment(0, "FastAPI serves its OpenAPI document here")
        out.add("openapi: /openapi.json")
    elif app is not None and app.openapi:
        out.comment(0, "flask-restx serves its Swagger document here")
        out.add(f"openapi: {scalar(app.openapi)}")
    else:
        out.comment(0, "no OpenAPI document: the gate reads the routes from the Python source")
        out.add("openapi: null")


def _dynamodb(out: _Lines, plan: Plan) -> None:
    listed = [t for t in plan.tables if not t.in_template]
    out.add("dynamodb:")
    if plan.template:
        out.comment(2, "tables declared in the CloudFormation/SAM template")
        out.add(f"  template: {scalar(plan.template)}")
    elif plan.unresolved_template:
        out.comment(2, f"{plan.unresolved_template} names its tables with !Sub/!Ref: the tables below are the ones")
        out.comment(2, "the code names, with the template parameters' defaults")
    if not listed:
        if not plan.template:
            out.todo(2, "no table was found in the code: list the service's tables with their keys")
            out.add("  tables: []")
        return
    out.add("  tables:")
    for t in listed:
        if not t.key:
            out.todo(4, f"{t.name}: the code names this table but its key was not found: give it")
            entry: dict[str, Any] = {"name": t.name, "key": {"id": "S"}}
        else:
            if t.key_known:
                out.comment(4, f"{t.name}: {t.source}")
            else:
                out.todo(4, f"{t.name}: key guessed from the code's reads and queries: check it")
            entry = {"name": t.name, "key": t.key}
        if t.indexes:
            entry["indexes"] = [{"name": n, "key": k} for n, k in t.indexes]
        out.add(f"    - {flow(entry)}")


def _flow_entry(f: Flow, login: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {"path": f.path}
    if f.method != "POST":
        entry["method"] = f.method
    entry["body"] = f.body
    if f.form:
        entry["form"] = True
    if login and f.token != "access_token":
        entry["token"] = f.token
    return entry


def _auth(out: _Lines, plan: Plan) -> None:
    auth = plan.auth
    out.add("auth:")
    out.add("  header: Authorization")
    out.add("  scheme: Bearer")
    if auth.mints:
        out.comment(2, f"{auth.library}: the secret is read from {auth.secret_env} ({auth.secret_where}); the gate")
        out.comment(2, "hands the service a fresh one per scan and mints the identities' tokens with it")
        jwt = {"secret_env": auth.secret_env, "algorithm": auth.algorithm, "subject_claim": auth.subject_claim}
        out.add(f"  jwt: {flow(jwt)}")
    elif auth.library and auth.secret_literal:
        out.todo(2, f"the JWT secret is written into the code ({auth.secret_literal}): read it from the environment")
        out.comment(2, "(e.g. os.environ['JWT_SECRET']) so the gate can hand the service its own key, then uncomment:")
        out.add(f"  # jwt: {flow({'secret_env': 'JWT_SECRET', 'algorithm': auth.algorithm})}")
    login_on = auth.login is not None and auth.register is not None and not auth.mints
    for key, f, is_login in (("login", auth.login, True), ("register", auth.register, False)):
        if f is None:
            continue
        line = f"{key}: {flow(_flow_entry(f, is_login))}"
        if login_on:
            out.comment(2, f"the service's own {key} route ({f.where})")
            out.add("  " + line)
            continue
        if auth.mints:
            out.comment(2, f"the service's {key} route ({f.where}); the gate mints tokens instead. To log in through")
            out.comment(2, "it, uncomment (the fixtures' owner keys must then be the ids the service gives):")
        elif is_login:
            out.comment(2, f"the service's login route ({f.where})")
            out.todo(2, "the identities have no user record to log in with: give auth.users and auth.password_hash")
            out.comment(2, '(README, "Identities that log in"), then uncomment:')
        else:
            out.comment(2, f"the service's {key} route ({f.where}); uncomment with a login route:")
        out.add("  # " + line)
    if auth.api_key_header and not auth.mints:
        out.comment(2, "API keys in this header")
        out.todo(2, "how does the service know each identity's key (a table, an env var)? Seed it there")
        out.add(f"  api_key: {flow({'header': auth.api_key_header})}")


def _identities(out: _Lines, plan: Plan) -> None:
    out.add("identities:")
    width = max(len(i.name) for i in plan.identities) + 1
    for ident in plan.identities:
        if ident.todo:
            out.todo(2, ident.todo)
        entry: dict[str, Any] = {"sub": ident.sub}
        for key in ("email", "password", "api_key"):
            if getattr(ident, key):
                entry[key] = getattr(ident, key)
        if ident.claims:
            entry["claims"] = ident.claims
        if ident.role:
            entry["role"] = ident.role
        out.add(f"  {(ident.name + ':').ljust(width)} {flow(entry)}")


def _fixtures(out: _Lines, plan: Plan) -> None:
    if not plan.fixtures:
        out.comment(0, "no table's key names an owner: no fixtures")
        return
    out.comment(0, "one item per identity in each table whose key names its owner")
    out.add("fixtures:")
    for f in plan.fixtures:
        out.add(f"  - {flow({'table': f.table, 'owner': f.owner, 'item': f.item})}")


def render(plan: Plan) -> tuple[str, list[int]]:
    """The config text and the line numbers of its TODOs."""
    out = _Lines()
    out.comment(0, f"authgate config written by `authgate init` from the code in {plan.directory} (nothing was run).")
    out.comment(0, 'Every key: README, "Configuration reference". Lines marked TODO need a decision.')
    out.add("version: 1")
    _service(out, plan)
    _openapi(out, plan)
    _dynamodb(out, plan)
    _auth(out, plan)
    _identities(out, plan)
    _fixtures(out, plan)
    out.add("checks:")
    if plan.public:
        out.comment(2, "meant to be anonymous: health and sign-in routes")
    out.add(f"  public: {flow(plan.public)}")
    out.add("gate:")
    out.add("  threshold: 80")
    out.add("  fail_on: high")
    return "\n".join(out.lines) + "\n", out.todos
