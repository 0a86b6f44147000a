"""`authgate init [DIR]`: read the service's code (ast only, nothing runs) and write DIR/.authgate.yml.

The config it writes scans without edits when the service starts as found: the command from the
framework and app object (`gate.init.service`), the tables from the code (`gate.init.tables`), the
auth style (`gate.init.auth`), identities and fixtures (`gate.init.identities`), all written with
comments saying where each part was read (`gate.init.writer`). The text is checked against the
config models before it is written: init never leaves a config that `authgate scan` would refuse.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from gate.config import ConfigError, load_config
from gate.init.auth import find_auth
from gate.init.code import Code, EnvRead
from gate.init.identities import make_fixtures, make_identities
from gate.init.service import find_app, is_health, is_script, ready_path
from gate.init.tables import find_tables
from gate.init.writer import Plan, render

CONFIG_NAME = ".authgate.yml"
_GIVEN_BY_GATE = ("AWS_", "DYNAMODB_ENDPOINT", "DYNAMO_ENDPOINT", "PORT", "HOST")  # the sandbox sets these


class InitError(Exception):
    """init cannot write the config: one line for the user, exit 2."""


@dataclass(frozen=True, slots=True)
class Written:
    path: Path
    summary: str
    todos: list[int]


def plan_for(directory: Path) -> Plan:
    code = Code.read(directory)
    app = find_app(code)
    if app is not None and app.workdir != ".":  # the service is a subfolder: its code is what is read
        code = Code.read(directory / app.workdir, directory)
    tables = find_tables(code, directory)
    auth = find_auth(code)
    identities = make_identities(auth)
    env: dict[str, str] = {}
    where: list[str] = []
    for t in tables.tables:
        if t.env is not None:
            env.setdefault(t.env.var, t.env_value or t.name)
            where.append(t.env.where)
    if auth.mints and auth.algorithm_env:
        env.setdefault(auth.algorithm_env.var, auth.algorithm)
        where.append(auth.algorithm_env.where)
    supplied = {*env, auth.secret_env}
    missing: list[EnvRead] = [
        e
        for e in code.env_reads()
        if e.required
        and e.var not in supplied
        and not e.var.startswith(_GIVEN_BY_GATE)
        and not is_script(e.where)  # a dev script's variables are not the service's
    ]
    public = [r.id for r in code.routes if r.method == "GET" and "{" not in r.path and is_health(r.path)]
    for flow in (auth.login, auth.register):
        if flow is not None:
            public.append(f"{flow.method} {flow.path}")
    command = app.command if app else "python main.py --port {port}"
    return Plan(
        directory=directory.name or str(directory),
        app=app,
        command=command,
        ready=ready_path(code.routes, app),
        env=env,
        env_where=sorted(set(where)),
        missing_env=missing[:5],
        tables=tables.tables,
        template=tables.template,
        unresolved_template=tables.unresolved,
        auth=auth,
        identities=identities,
        fixtures=make_fixtures(tables.tables, identities, auth),
        public=sorted(set(public)),
    )


def _summary(plan: Plan) -> str:
    parts = []
    if plan.app:
        parts.append(f"{plan.app.framework} {plan.app.module}:{plan.app.obj}")
    names = ", ".join(t.name for t in plan.tables) or "none"
    parts.append(f"{len(plan.tables)} table{'s' if len(plan.tables) != 1 else ''} ({names})")
    auth = plan.auth
    if auth.mints:
        parts.append(f"JWT secret from {auth.secret_env}")
    elif auth.login:
        parts.append(f"login {auth.login.method} {auth.login.path}")
    elif auth.api_key_header:
        parts.append(f"API key in {auth.api_key_header}")
    parts.append(f"{len(plan.identities)} identities, {len(plan.fixtures)} fixtures")
    return ", ".join(parts)


def write_config(directory: Path, force: bool = False) -> Written:
    """Inspect `directory` and write its `.authgate.yml`; InitError when it cannot."""
    if not directory.is_dir():
        raise InitError(f"{directory}: no such directory")
    target = directory / CONFIG_NAME
    if (target.exists() or target.is_symlink()) and not force:
        raise InitError(f"{target} exists: not overwritten (use --force to replace it)")
    plan = plan_for(directory.resolve())
    text, todos = render(plan)
    fd, tmp = tempfile.mkstemp(prefix=".authgate-init-", suffix=".yml", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        try:
            load_config(Path(tmp))
        except ConfigError as exc:  # a bug of init: say so rather than leave a config scan refuses
            raise InitError(f"the config init made does not load ({exc.problems[0]}): not written") from None
        os.replace(tmp, target)
    except OSError as exc:
        raise InitError(f"cannot write {target}: {exc.strerror}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return Written(target, _summary(plan), todos)
