"""User records for the login flow: hashes by the service's own hashing, and throwaway accounts.

`auth.password_hash` says how the service hashes a password: a command (password on stdin, the
hash as the last line of stdout) or a `module:function` called in a subprocess of the service's interpreter, in its
working directory. The service's code is never imported into the gate. With `auth.users`, the
gate writes the hash of each identity's password into that identity's record, and seeds its
own throwaway accounts, copies of a template record:

  control, logout, ratelimit, enum   active accounts the checks may lock out or log out
  disabled, unconfirmed              `enabled: false`, `email_confirmed: false`
  no-enabled, no-confirmed           the attribute is missing altogether (DynamoDB is schemaless)

A state variant is made only when the template record carries the attribute: that is how the
gate knows the service has the notion at all. Names are stable (`authgate-disabled`), passwords
are derived from the scan's secret, so the checks find the same accounts without shared state.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
import re
import shlex
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gate.auth.identities import service_env
from gate.config import Config, TableConfig
from gate.dynamo import snapshot
from gate.dynamo.fixtures import OwnedItem, key_of
from gate.dynamo.types import to_typed
from gate.errors import ScanError
from gate.proc import NotFound, Timeout, run_bounded
from gate.target.sandbox import Sandbox
from gate.target.service import DYNAMODB_URL

ACTIVE = ("control", "logout", "ratelimit", "enum")
MISSING = object()  # marks an attribute the account's record does not have
_MARK = "\n@@authgate-hashes@@"
_RUNNER = f"""
import concurrent.futures, importlib, json, os, sys
sys.path.insert(0, "")
mod, _, fn = sys.argv[1].partition(":")
func = getattr(importlib.import_module(mod), fn)
# one process for every password; threads where the hash lets go of the GIL (bcrypt, scrypt, argon2 do)
with concurrent.futures.ThreadPoolExecutor(max(1, min(8, os.cpu_count() or 1))) as pool:
    out = [h.decode() if isinstance(h, bytes) else h for h in pool.map(func, json.load(sys.stdin))]
sys.stdout.write({_MARK!r} + json.dumps(out))
"""


@dataclass(frozen=True, slots=True)
class Account:
    kind: str
    sub: str
    email: str
    password: str
    state: dict[str, Any] = field(default_factory=dict)  # attribute -> value, or MISSING
    can_login: bool = False  # its record holds a hash of `password` made by the service's hashing

    @property
    def name(self) -> str:
        return f"authgate-{self.kind}"


def _template(cfg: Config) -> tuple[str, dict[str, Any]] | None:
    """(identity, record) whose user record the throwaway accounts copy."""
    uc = cfg.auth.users
    if uc is None:
        return None
    records = {fx.owner: fx.item for fx in cfg.fixtures if fx.table == uc.table and fx.owner}
    order = [uc.template] if uc.template else [n for n in cfg.regular] + [n for n in cfg.privileged]
    for name in order:
        if name in records:
            return name, records[name]
    return None


def accounts(cfg: Config, secret: str) -> dict[str, Account]:
    """The throwaway accounts of this scan, by kind (empty without auth.users or a template record)."""
    uc = cfg.auth.users
    tpl = _template(cfg)
    if uc is None or tpl is None:
        return {}
    _, record = tpl
    email = str(record.get(uc.email) or "")
    domain = email.rpartition("@")[2] if "@" in email else "example.test"
    kinds: dict[str, dict[str, Any]] = {k: {} for k in ACTIVE}
    if uc.enabled and uc.enabled in record:
        kinds["disabled"] = {uc.enabled: False}
        kinds["no-enabled"] = {uc.enabled: MISSING}
    elif uc.disabled:  # the inverse flag: a missing attribute is an active account, so only `true` is tested
        kinds["disabled"] = {uc.disabled: True}
    if uc.email_confirmed and uc.email_confirmed in record:
        kinds["unconfirmed"] = {uc.email_confirmed: False}
        kinds["no-confirmed"] = {uc.email_confirmed: MISSING}
    out = {}
    tpl_sub = cfg.identities[tpl[0]].sub
    for kind, state in kinds.items():
        digest = hmac.new(secret.encode(), f"account:{kind}".encode(), hashlib.sha256).hexdigest()
        email = f"authgate-{kind}@{domain}"
        out[kind] = Account(
            kind=kind,
            sub=sub_like(tpl_sub, kind, email),
            email=email,
            password=f"Ag-{digest[:24]}",
            state=state,
            can_login=cfg.auth.password_hash is not None,
        )
    return out


def unknown_email(cfg: Config) -> str:
    """An e-mail address no account has (enumeration, rate-limit without throwaway accounts)."""
    tpl = _template(cfg)
    email = ""
    if tpl and cfg.auth.users:
        email = str(tpl[1].get(cfg.auth.users.email) or "")
    if not email:
        email = next((i.email for i in cfg.identities.values() if i.email), "") or ""
    domain = email.rpartition("@")[2] if "@" in email else "example.test"
    return f"authgate-nobody@{domain}"


def hash_passwords(cfg: Config, box: Sandbox, root: Path, passwords: list[str], secret: str) -> list[str]:
    """Hashes of `passwords` by the service's own hashing (auth.password_hash), in subprocesses in the
    sandbox: the service's own environment, and a DynamoDB endpoint that goes nowhere."""
    ph = cfg.auth.password_hash
    assert ph is not None
    how = (secret, str(root), ph.callable or ph.command or "")
    missing = [pw for pw in dict.fromkeys(passwords) if (how, pw) not in _HASHED]
    if missing:
        _HASHED.update({(how, pw): h for pw, h in zip(missing, _hash(cfg, box, root, missing, secret), strict=True)})
    return [_HASHED[how, pw] for pw in passwords]


# (scan secret, service, hashing), password -> hash: `seed` hashes every password a scan will need in one process
# (a changed password for account-state too), so a later ask costs no subprocess (issue 17: 0.13 s each,
# seconds with bcrypt's cost 12)
_HASHED: dict[tuple[tuple[str, str, str], str], str] = {}


def changed_password(account: Account) -> str:
    """The new password account-state gives `account` (its hash is made with the others, in `seed`)."""
    return account.password + "-changed"


def _hash(cfg: Config, box: Sandbox, root: Path, passwords: list[str], secret: str) -> list[str]:
    ph = cfg.auth.password_hash
    assert ph is not None
    workdir = box.workdir(root, root / cfg.service.workdir)
    nowhere = "http://127.0.0.1:9"
    own = {k: v.replace(DYNAMODB_URL, nowhere) for k, v in cfg.service.env.items()}
    env = box.env({**service_env(cfg, secret), **own})
    env["AWS_ENDPOINT_URL_DYNAMODB"] = env["AWS_ENDPOINT_URL"] = nowhere
    run = functools.partial(_run, workdir=workdir, env=env, deadline=time.monotonic() + ph.timeout, box=box)
    if ph.callable:
        # the service's interpreter (its virtualenv, where bcrypt is installed), never the gate's
        out = run([box.interpreter(), "-c", _RUNNER, ph.callable], json.dumps(passwords), what=ph.callable)
        head, mark, tail = out.rpartition(_MARK)
        try:
            hashes = json.loads(tail) if mark else None
        except ValueError:
            hashes = None
        if not isinstance(hashes, list) or len(hashes) != len(passwords):
            raise ScanError(
                f"auth.password_hash.callable {ph.callable}: printed no list of hashes", head[-300:].split("\n")
            )
    else:
        assert ph.command is not None
        argv = shlex.split(ph.command)
        with ThreadPoolExecutor(max(1, min(8, os.cpu_count() or 1))) as pool:  # one process a password
            outs = list(pool.map(lambda pw: run(argv, pw, what=ph.command), passwords))
        hashes = [(o.strip().splitlines() or [""])[-1].strip() for o in outs]  # the last line: imports may print
    bad = [h for h in hashes if not isinstance(h, str) or not h]
    if bad:
        raise ScanError(f"auth.password_hash: the hashing gave {bad[0]!r}, not a non-empty string")
    return [str(h) for h in hashes]


def _run(
    argv: list[str], stdin: str, *, workdir: Path, env: dict[str, str], deadline: float, box: Sandbox, what: str
) -> str:
    left = deadline - time.monotonic()
    late = f"auth.password_hash: {what} did not finish within auth.password_hash.timeout"
    if left <= 0:
        raise ScanError(late)
    try:
        code, out, err = run_bounded(
            box.argv(argv, env), cwd=workdir, env=env, timeout=left, stdin=stdin, **box.popen_kwargs()
        )
    except NotFound:
        raise ScanError(f"auth.password_hash.command: command not found: {argv[0]}") from None
    except Timeout:
        raise ScanError(late) from None
    if code != 0:
        raise ScanError(f"auth.password_hash: {what} exited with code {code}", (out + err).splitlines()[-8:])
    return out


def sub_like(template: str, kind: str, email: str) -> str:
    """A throwaway account's subject shaped like the template identity's: a UUID stays a UUID (the service
    may parse it), an e-mail an e-mail, digits digits of the same length; otherwise `authgate-<kind>`."""
    try:
        uuid.UUID(template)
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"authgate:account:{kind}"))
    except ValueError:
        pass
    if "@" in template:
        return email
    if template.isdigit():
        digits = str(int(hashlib.sha256(kind.encode()).hexdigest(), 16))
        return ("9" + digits)[: max(len(template), 6)]
    return f"authgate-{kind}"


def _rename(value: Any, old: list[tuple[str, str]]) -> Any:
    """`value` with the template identity's subject or address replaced where it IS the value, or one
    `#`/`:`/`/`-separated part of it (`USER#alice`); any other string is left as it is (a free text that
    mentions the name, an e-mail that merely contains the subject)."""
    if not isinstance(value, str):
        return value
    for before, after in old:
        if before and value == before:
            return after
    parts = re.split(r"([#:/|])", value)
    if len(parts) > 1:
        swap = dict(old)
        return "".join(swap.get(p, p) if p else p for p in parts)
    return value


def record(cfg: Config, account: Account, template: tuple[str, dict[str, Any]], hashed: str | None) -> dict[str, Any]:
    """The throwaway account's item: the template with its identity replaced and its state applied."""
    uc = cfg.auth.users
    assert uc is not None
    name, item = template
    tpl_sub = cfg.identities[name].sub
    tpl_email = str(item.get(uc.email) or cfg.identities[name].email or "")
    swaps = [(tpl_email, account.email), (tpl_sub, account.sub), (name, account.sub)]
    swaps = [(b, a) for b, a in swaps if b]
    out: dict[str, Any] = {}
    for k, v in item.items():
        out[k] = f"Authgate {account.kind}" if "name" in k.lower() and isinstance(v, str) else _rename(v, swaps)
    out[uc.email] = account.email
    for attr in (uc.enabled, uc.email_confirmed):
        if attr and attr in item:
            out[attr] = True
    if uc.disabled and uc.disabled in item:
        out[uc.disabled] = False
    for attr, value in account.state.items():
        if value is MISSING:
            out.pop(attr, None)
        else:
            out[attr] = value
    if hashed is not None and cfg.auth.password_hash:
        out[cfg.auth.password_hash.attribute] = hashed
    return out


def seed(
    cfg: Config,
    box: Sandbox,
    root: Path,
    client: Any,
    tables: list[TableConfig],
    owned: list[OwnedItem],
    seeded: snapshot.Snapshot,
    secret: str,
) -> tuple[list[OwnedItem], snapshot.Snapshot]:
    """Hash the identities' passwords into their records, add the throwaway accounts, re-snapshot."""
    uc = cfg.auth.users
    if uc is None:
        return owned, seeded
    ph = cfg.auth.password_hash
    by_name = {t.name: t for t in tables}
    accts = accounts(cfg, secret)
    mine = [
        i
        for i, o in enumerate(owned)
        if o.table == uc.table and o.owner and cfg.identities[o.owner].password is not None
    ]
    hashes: list[str] = []
    if ph is not None:
        pws = [cfg.identities[owned[i].owner or ""].password or "" for i in mine]
        later = [changed_password(accts["control"])] if "control" in accts else []  # account-state's
        hashes = hash_passwords(cfg, box, root, pws + [a.password for a in accts.values()] + later, secret)
    out = list(owned)
    if ph is not None:
        for n, i in enumerate(mine):
            item = {**owned[i].item, ph.attribute: hashes[n]}
            client.put_item(TableName=uc.table, Item=to_typed(item))
            out[i] = replace(owned[i], item=item)
    template = _template(cfg)
    if template is not None and uc.table in by_name:
        extra = hashes[len(mine) : len(mine) + len(accts)] if ph is not None else [None] * len(accts)
        table = by_name[uc.table]
        taken = {json.dumps(key_of(o.item, table), sort_keys=True, default=str) for o in owned if o.table == uc.table}
        for account, hashed in zip(accts.values(), extra, strict=True):
            item = record(cfg, account, template, hashed)
            pk = next(iter(table.key))
            if json.dumps(key_of(item, table), sort_keys=True, default=str) in taken and isinstance(item.get(pk), str):
                item[pk] = account.sub  # never overwrite a real record: the key must be the account's own
            key = json.dumps(key_of(item, table), sort_keys=True, default=str)
            if key in taken or set(key_of(item, table)) != set(table.key):
                raise ScanError(f"auth.users: cannot give throwaway account {account.name} its own key in {uc.table}")
            taken.add(key)
            client.put_item(TableName=uc.table, Item=to_typed(item))
    return out, snapshot.take(client, tables)
