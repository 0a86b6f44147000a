"""Identities made through the service's own sign-up (`auth.register`), before they log in.

An identity that has no record among the fixtures (in `auth.users.table`; without `auth.users`,
every identity with a password) is created by the sign-up route with its body template filled in
(`{email}`, `{password}`, `{sub}`, `{name}`): the service writes the record the way it writes any
account's, its own password hashing included, so no `auth.password_hash` is needed. An answer of
409 (the account exists already) is accepted; any other non-2xx is a ScanError (exit 2) with the
status and an excerpt. The records the sign-ups created become part of the seed (restored after
every destructive probe) and are owned by their identity.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from gate.auth.identities import Identity
from gate.auth.login import TIMEOUT, answer_excerpt, fill
from gate.config import Config, RegisterConfig, TableConfig
from gate.dynamo import snapshot
from gate.dynamo.fixtures import OwnedItem, key_of
from gate.errors import ScanError
from gate.netutil import fetch, verify_for
from gate.target.probe import MAX_BODY


def to_register(cfg: Config, identities: dict[str, Identity]) -> list[Identity]:
    """The identities that have no account record of their own to log in with."""
    if cfg.auth.signup is None:
        return []
    users = cfg.auth.users
    have = {fx.owner for fx in cfg.fixtures if users is not None and fx.table == users.table}
    return [i for i in identities.values() if i.password is not None and i.name not in have]


def register_all(
    cfg: Config,
    identities: dict[str, Identity],
    base_url: str,
    client: Any,
    tables: list[TableConfig],
    owned: list[OwnedItem],
) -> tuple[list[OwnedItem], snapshot.Snapshot | None]:
    """Sign up each identity without a record; (owned items with the new records, the new seed) or
    (owned, None) when nobody needed it."""
    todo = to_register(cfg, identities)
    rc = cfg.auth.signup
    if not todo or rc is None:
        return owned, None
    before = snapshot.take(client, tables)
    asyncio.run(_sign_up_each(rc, todo, base_url))
    after = snapshot.take(client, tables)
    by_name = {t.name: t for t in tables}
    out = list(owned)
    for change in snapshot.diff(before, after, tables):
        if change["change"] != "created":
            continue
        item = change["after"]
        owner = _owner_of(item, todo)
        out.append(OwnedItem(change["table"], owner, key_of(item, by_name[change["table"]]), item))
    return out, after


def _owner_of(item: dict[str, Any], todo: list[Identity]) -> str | None:
    """Whose sign-up wrote `item`: the identity whose e-mail, subject or name it carries."""
    values = {str(v) for v in item.values()}
    for ident in todo:
        if {ident.email or "", ident.sub, ident.name} & values:
            return ident.name
    return None


async def _sign_up_each(rc: RegisterConfig, todo: list[Identity], base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url, follow_redirects=False, verify=verify_for(base_url)) as http:
        for ident in todo:
            assert ident.password is not None
            body = fill(
                rc.body, {"email": ident.email or "", "password": ident.password, "sub": ident.sub, "name": ident.name}
            )
            if rc.form:
                request = http.build_request(rc.method, rc.path, data={k: str(v) for k, v in body.items()})
            else:
                request = http.build_request(rc.method, rc.path, json=body)
            where = f"sign-up of {ident.name}: {rc.method} {rc.path}"
            try:
                resp = await fetch(http, request, seconds=TIMEOUT, max_bytes=MAX_BODY)
            except httpx.HTTPError as exc:
                raise ScanError(f"{where} failed: {type(exc).__name__}: {exc}") from None
            if not (200 <= resp.status_code < 300 or resp.status_code == 409):
                shown = answer_excerpt(resp.status_code, resp.text, [ident.password])
                raise ScanError(f"{where} answered {resp.status_code} (is auth.register right?); body: {shown}")
