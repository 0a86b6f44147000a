"""The identities the scan acts as (alice and bob, regular; admin, privileged) and their fixtures.

Each table whose key names an owner (`owner_id`, `user_id`, `owner`, or the partition key of a
per-user table such as `users`) gets one item per identity, keyed by that identity; values have the
shape the code expects: a UUID where it parses the caller's id as a UUID, an e-mail where the key is
an e-mail. Tables with no owner key get no fixture: nothing in them belongs to anyone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gate.init.auth import Auth
from gate.init.tables import Table

NAMES = ("alice", "bob", "admin")
_UUIDS = {
    "alice": "a11ce000-0000-4000-8000-000000000001",
    "bob": "b0b00000-0000-4000-8000-000000000002",
    "admin": "ad000000-0000-4000-8000-000000000003",
}
_OWNER_KEYS = {
    "owner_id", "ownerid", "owner", "user_id", "userid", "user", "username", "user_name", "uid", "sub",
    "account_id", "accountid", "author_id", "authorid", "created_by", "createdby", "email", "user_email",
    "customer_id", "customerid", "member_id", "memberid", "tenant_id", "tenantid",
}  # fmt: skip
_PER_USER = ("user", "account", "profile", "member", "customer")
_TEXT = ("title", "text", "body", "content", "description", "note", "notes", "name", "display_name", "message")
_MAX_EXTRA = 6  # attributes beyond the keys, per item


@dataclass(slots=True)
class Identity:
    name: str
    sub: str
    email: str | None = None
    password: str | None = None
    role: str | None = None
    claims: dict[str, Any] = field(default_factory=dict)
    api_key: str | None = None
    todo: str | None = None  # a question a human must answer about this identity


@dataclass(slots=True)
class Fixture:
    table: str
    owner: str
    item: dict[str, Any]


def _role_value(auth: Auth) -> tuple[str, Any]:
    key, value, _ = auth.role or ("role", "admin", True)
    return key, True if value == "true" else value


def make_identities(auth: Auth) -> list[Identity]:
    out: list[Identity] = []
    with_login = auth.login is not None or auth.register is not None
    for name in NAMES:
        email = f"{name}@example.test"
        sub = {"uuid": _UUIDS[name], "email": email}.get(auth.subject_shape, name)
        ident = Identity(name, sub, email=email if (with_login or auth.subject_shape == "email") else None)
        if with_login:
            ident.password = f"{name.capitalize()}-pass-1"
        if auth.api_key_header and not auth.mints:
            ident.api_key = f"authgate-{name}-key"
        if name == "admin":
            key, value = _role_value(auth)
            ident.role = str(value) if not isinstance(value, bool) else key
            ident.claims = {key: value}
            if auth.role is None:
                ident.todo = "is this how an admin is marked? (no role check was understood in the code)"
        out.append(ident)
    return out


def owner_key(table: Table) -> str | None:
    """The key attribute naming the item's owner, or None for a table nobody owns."""
    for attr in table.key:
        if attr.lower() in _OWNER_KEYS:
            return attr
    if table.key and any(w in table.name.lower() for w in _PER_USER):
        return next(iter(table.key))
    return None


def _value(attr: str, typ: str, ident: Identity, table: Table, n: int, auth: Auth) -> Any:
    low = attr.lower()
    if typ == "N":
        return 100 * (NAMES.index(ident.name) + 1) + n
    if typ == "B":
        return f"{ident.name}-{n}"
    if "email" in low:
        return ident.email or f"{ident.name}@example.test"
    if low in _OWNER_KEYS:
        return ident.sub
    if auth.subject_shape == "uuid" and low.endswith("id"):
        head = _UUIDS[ident.name][:-3]
        return f"{head}{100 + n:03d}"
    stem = table.name.rstrip("s").lower() or "item"
    return f"{stem}-{ident.name}-{n}"


def make_fixtures(tables: list[Table], identities: list[Identity], auth: Auth) -> list[Fixture]:
    out: list[Fixture] = []
    for table in tables:
        owner = owner_key(table)
        if owner is None or not table.key:
            continue
        for ident in identities:
            item: dict[str, Any] = {owner: ident.email if "email" in owner.lower() else ident.sub}
            for n, (attr, typ) in enumerate(((a, t) for a, t in table.key.items() if a != owner), 1):
                item.setdefault(attr, _value(attr, typ, ident, table, n, auth))
            for _, ikey in table.indexes:
                for attr, typ in ikey.items():
                    item.setdefault(attr, _value(attr, typ, ident, table, 9, auth))
            extra = [a for a in table.attributes if a not in item][:_MAX_EXTRA]
            for attr in extra:
                low = attr.lower()
                if "email" in low:
                    item[attr] = ident.email or f"{ident.name}@example.test"
                elif low in _TEXT:
                    item[attr] = f"{ident.name}'s private {attr}"
            per_user = any(w in table.name.lower() for w in _PER_USER)
            if ident.role and per_user and auth.role is not None and not auth.role[2]:  # the role is in the record
                key, value = _role_value(auth)
                item[key] = value
            if not any(a.lower() in _TEXT for a in item):
                item["title"] = f"{ident.name}'s private {table.name.rstrip('s') or 'item'}"
            out.append(Fixture(table.name, ident.name, item))
    return out
