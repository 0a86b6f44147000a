"""The one object every check probes through: identities, operations, fixtures, evidence, restore.

Checks never build an httpx client or a boto3 client of their own, so timeouts, identities,
redaction and recording are never bypassed (Schemathesis keeps its auth in one transport too).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from gate.auth.identities import Identity
from gate.checks.requests import body_kwargs, configured
from gate.config import Config, TableConfig
from gate.dynamo import snapshot
from gate.dynamo.calls import DynamoCall
from gate.dynamo.fixtures import OwnedItem
from gate.dynamo.recorder import Recorder
from gate.findings import CheckMeta, Evidence, Finding
from gate.target.openapi import Operation
from gate.target.probe import Exchange, Prober, redact_text
from gate.target.sandbox import Sandbox
from gate.target.values import Built

if TYPE_CHECKING:
    from gate.checks.static import Sources

ID_LIKE = re.compile(r"(^|_)(id|uid|sub|owner|user|username|account|email)$", re.I)
# Attribute names of stored secrets: their seeded values are redacted from all evidence, and exposure
# reports them when a response carries them back.
SENSITIVE_ATTR = re.compile(
    r"(^|_)(pass(word|wd)?|pwd)(_?hash)?$|secret|api_?key|access_?key|private_?key|(^|_)token$|"
    r"session_?id$|(mfa|totp|otp)_?(secret|seed)|(^|_)salt$",
    re.I,
)


@dataclass(frozen=True, slots=True)
class Secret:
    """A credential the gate used: redacted from all evidence, looked for in the service's logs."""

    kind: str  # token | password | api-key | key-material
    owner: str  # identity or account name, or "service"
    value: str


@dataclass
class ScanContext:
    cfg: Config
    root: Path
    operations: list[Operation]
    identities: dict[str, Identity]
    prober: Prober
    recorder: Recorder | None
    ddb: Any  # boto3 client of the gate (never the service's); inside a mutation block it writes by gate_write
    tables: list[TableConfig]
    owned: list[OwnedItem]
    seeded: snapshot.Snapshot
    secret: str | None
    excluded: set[str] = field(default_factory=set)
    service_logs: Any = None  # callable -> list[str]
    extra_redactions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # things a check could not do (shown in the report)
    # credentials the auth families used besides the identities' (throwaway accounts' passwords, issued and
    # forged tokens): redacted in all evidence, looked for in the service's logs (gate.checks._auth.remember)
    remembered: list[Secret] = field(default_factory=list)
    # path -> whether it refuses no credentials and a garbage token: the auth families' controls, sent once
    refuses: dict[str, bool] = field(default_factory=dict)
    sources: Sources | None = None  # the service's parsed source (gate.checks.static.sources), parsed once
    access_profile: list[dict[str, Any]] = field(default_factory=list)  # gate.checks.access_profile.record
    sandbox: Sandbox | None = None  # where the service's own code runs (its password hashing, for one)
    located: list[Operation] = field(default_factory=list)  # every operation, for file:line (incl. logout)
    # legitimate requests of identities to their own data, sent once and shared by every family that needs
    # them (bola.list, exposure, bfla's baseline, the access profile): key (operation id, identity, path)
    own_cache: dict[tuple[str, str, str], asyncio.Future[Any]] = field(default_factory=dict)
    # per operation id, the request that reached it (gate.checks.reach), or the one built from its schema
    requests: dict[str, Built] = field(default_factory=dict)
    reach: dict[str, Any] = field(default_factory=dict)  # operation id -> gate.checks.reach.Reach
    _seed_seq: int | None = None  # recorder sequence at which the tables last held the seed
    _gate_wrote: set[str] = field(default_factory=set)  # tables the gate itself wrote since (gate_write)

    # -- selection -------------------------------------------------------------------------
    def enabled(self, check_id: str) -> bool:
        return check_id not in self.excluded

    @property
    def regular(self) -> list[Identity]:
        return [i for i in self.identities.values() if not i.privileged]

    @property
    def privileged(self) -> list[Identity]:
        return [i for i in self.identities.values() if i.privileged]

    def pairs(self) -> list[tuple[Identity, Identity]]:
        """(attacker, victim) pairs of distinct identities that own fixtures."""
        owners = {o.owner for o in self.owned if o.owner}
        ids = sorted(self.identities.values(), key=lambda i: i.privileged)  # regular victims first
        return [(a, v) for a in ids for v in ids if a.name != v.name and v.name in owners]

    @staticmethod
    def roles(attacker: Identity | None, victim: Identity | None = None) -> str:
        def kind(i: Identity | None) -> str:
            return "anonymous" if i is None else ("privileged" if i.privileged else "regular")

        return kind(attacker) if victim is None else f"{kind(attacker)}->{kind(victim)}"

    # -- fixtures and paths -----------------------------------------------------------------
    def items_of(self, identity: Identity | str) -> list[OwnedItem]:
        name = identity if isinstance(identity, str) else identity.name
        return [o for o in self.owned if o.owner == name]

    def item_for(self, op: Operation, identity: Identity) -> OwnedItem | None:
        """`identity`'s one fixture that `op` addresses: the item carrying most of its parameters together,
        then the one whose table the path's words name (`/tasks/{user_id}/{item_id}`: tasks); the first in
        fixture order after that. Tables often share key names (`item_id`), so a parameter taken from any
        fixture with that attribute addressed another table's item and the probe found nothing (issue 17).
        The access profile would know the table, but it is built from the probes this chooses."""
        params = op.path_params + op.query_params
        words = _words(re.sub(r"{[^}]+}", "/", op.path))

        def fit(item: OwnedItem) -> tuple[int, int]:
            return sum(p in item.item for p in params), len(words & _words(item.table))

        best = max(self.items_of(identity), key=fit, default=None)  # max keeps the first of equals
        return best if best is not None and fit(best)[0] else None

    def param_value(self, param: str, identity: Identity, item: OwnedItem | None = None) -> Any | None:
        """The value of `param` that addresses `identity`'s own data: from `item` (`item_for`) when it
        has the attribute, else from the first fixture that has it (`/users/{user_id}/posts/{post_id}`:
        a post names its owner `owner_id`), else the subject for an owner-like name."""
        for it in ([item] if item is not None else []) + self.items_of(identity):
            if param in it.item:
                return it.item[param]
        if ID_LIKE.search(param):
            return identity.sub
        return None

    def path_for(self, op: Operation, owner: Identity) -> str | None:
        """`op.path` filled with `owner`'s values; None when some path parameter has no value.

        Query parameters with a value for `owner` are appended (`/user?user_id=alice`): routes that
        take the owner from the query string (Flask's `request.args`) are probed like path ones.
        """
        item = self.item_for(op, owner)
        path = op.path
        for p in op.path_params:
            v = self.param_value(p, owner, item)
            if v is None:
                return None
            path = path.replace("{" + p + "}", str(v))
        built = self.built(op).query  # required parameters the fixtures say nothing of: from the schema
        query: dict[str, str] = {}
        for q in dict.fromkeys([*op.query_params, *built]):
            v = self.param_value(q, owner, item) if q in op.query_params else None
            if v is None:
                v = built.get(q)
            if v is not None:
                query[q] = str(v)
        return path + ("?" + urlencode(query) if query else "")

    # -- requests ---------------------------------------------------------------------------
    def built(self, op: Operation) -> Built:
        """The variable parts of `op`'s legitimate request: the one that reached it, else from its schema."""
        got = self.requests.get(op.id)
        if got is None:
            got = self.requests[op.id] = configured(self.cfg, op)
        return got

    def body_of(self, op: Operation) -> Any:
        """`op`'s body: the learned or schema-built one; for a schema-less body (`body: dict`, a Flask
        `request.json`) the non-key string attributes of the seeded items, the fields such a handler most
        likely writes (at most 4, each `authgate-probe-<name>`)."""
        if not op.has_body:
            return None
        body = self.built(op).body
        schema = op.shape.body
        if body or (schema is not None and (schema.get("properties") or schema.get("type") not in (None, "object"))):
            return body
        keys = {k for t in self.tables for k in t.key} | set(op.path_params)
        guess: dict[str, Any] = {}
        for item in self.owned:
            for name, value in item.item.items():
                if isinstance(value, str) and name not in keys and "password" not in name and name != "role":
                    guess.setdefault(name, f"authgate-probe-{name}")
        return dict(sorted(guess.items())[:4])

    async def send_op(
        self,
        op: Operation,
        path: str,
        identity: Identity | None,
        *,
        body: Any = ...,
        headers: dict[str, str] | None = None,
        lane: int | None = None,
        label: str = "",
        use_identity_auth: bool = True,
        params: dict[str, str] | None = None,
    ) -> Exchange:
        """One request to `op` on `path` the way its schema (and what reached it) says: its required headers
        and cookies, its body in the media type it declares (`body`: another body, `...`: the learned one)."""
        built = self.built(op)
        payload = self.body_of(op) if body is ... else body
        return await self.prober.send(
            op.method,
            path,
            identity,
            headers={**built.headers, **(headers or {})},
            cookies=dict(built.cookies) or None,
            lane=lane,
            label=label,
            use_identity_auth=use_identity_auth,
            params=params,
            **body_kwargs(op, built.media, payload),
        )

    def sample_path(self, op: Operation) -> str:
        """A path for probes that do not care whose data it is (first identity with values)."""
        for ident in self.identities.values():
            p = self.path_for(op, ident)
            if p is not None:
                return p
        return re.sub(r"{[^}]+}", "authgate-probe", op.path)

    # -- evidence ---------------------------------------------------------------------------
    def credentials(self) -> list[Secret]:
        """Every credential of the scan: the identities', the JWT key, and those checks remembered."""
        out: list[Secret] = list(self.remembered)
        for i in self.identities.values():
            out += [Secret("password", i.name, i.password or ""), Secret("token", i.name, i.token or "")]
            out += [Secret("api-key", i.name, i.api_key or "")]
            out += [Secret("token", i.name, v) for v in i.cookies.values()]
        if self.secret:
            out.append(Secret("key-material", "the JWT secret the gate handed the service", self.secret))
        return [s for s in out if s.value]

    def redactions(self) -> list[str]:
        out = [s.value for s in self.credentials()] + list(self.extra_redactions) + list(self._stored_secrets)
        return [s for s in out if s]

    @cached_property
    def _stored_secrets(self) -> tuple[str, ...]:
        """Seeded secrets (password hashes, keys; the throwaway accounts' too): named by exposure, never
        reprinted. The seed never changes during the checks, so this is read once."""
        items = [o.item for o in self.owned] + [i for rows in self.seeded.values() for i in rows.values()]
        return tuple(
            sorted({v for item in items for k, v in item.items() if isinstance(v, str) and SENSITIVE_ATTR.search(k)})
        )

    def redact(self, text: str) -> str:
        return redact_text(text, self.redactions())

    def evidence(
        self,
        ex: Exchange | None = None,
        *,
        calls: list[DynamoCall] | None = None,
        changes: list[dict[str, Any]] | None = None,
        notes: list[str] | None = None,
        log: list[str] | None = None,
        code: dict[str, Any] | None = None,
        redact: list[str] | None = None,
    ) -> Evidence:
        red = self.redactions() + (redact or [])
        dcalls = calls if calls is not None else (ex.calls if ex else [])
        return Evidence(
            request=ex.request_evidence(red) if ex else None,
            response=ex.response_evidence(red) if ex else None,
            dynamodb_calls=[_redacted_call(c, red) for c in dcalls],
            item_changes=[_redacted(_masked(c), red) for c in changes or []],
            notes=[redact_text(n, red) for n in notes or []],
            log=[redact_text(line, red) for line in log or []],
            code=code,
        )

    def operation_for(self, method: str, path: str) -> Operation | None:
        """The operation whose route template matches a concrete request path (query string ignored)."""
        for op in self.located or self.operations:
            if op.method == method.upper() and op.matches(path):
                return op
        return None

    def finding(self, meta: CheckMeta, op: Operation | None, *, message: str, evidence: Evidence, **kw: Any) -> Finding:
        if op is None and kw.get("route"):  # a check that knows the route: the handler is still the place to fix
            op = self.operation_for(kw.get("method", ""), kw["route"])
        if op is not None:
            kw.setdefault("method", op.method)
            kw.setdefault("route", op.path)
            kw.setdefault("file", op.file)
            kw.setdefault("line", op.line)
        return meta.finding(message=message, evidence=evidence, **kw)

    # -- destructive probes ---------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def mutation(self) -> AsyncIterator[tuple[int, list[dict[str, Any]]]]:
        """Hold every lane, run the probe(s) in the block, diff the tables, restore the seed.

        Yields (lane, changes); `changes` is filled when the block exits. Every probe inside
        starts from the seeded data, so results never depend on the order of probes.
        """
        changes: list[dict[str, Any]] = []
        async with self.prober.exclusive() as lane:
            await self._back_to_seed()  # writes made outside a block (a last-login stamp) are never blamed on it
            try:
                yield lane, changes
            finally:
                changes.extend(await self._back_to_seed())

    async def changes_so_far(self) -> list[dict[str, Any]]:
        """Inside a `mutation` block: what the probes of the block changed until now (nothing restored yet)."""
        tables = self._maybe_written()
        if not tables:
            return []
        now = await asyncio.to_thread(snapshot.take, self.ddb, tables)
        return snapshot.diff(self.seeded, now, tables)

    async def gate_write(self, operation: str, table: str, **kwargs: Any) -> Any:
        """A write of the gate's own inside a `mutation` block (`operation` names a boto3 client method): it
        does not pass the recorder, so its table is remembered for the block's diff and restore."""
        self._gate_wrote.add(table)
        return await asyncio.to_thread(getattr(self.ddb, operation), TableName=table, **kwargs)

    async def _back_to_seed(self) -> list[dict[str, Any]]:
        """Restore the seeded data where anything may have written since it last held; the changes undone.

        Only the tables written since are read (issue 17: every block read every table): the recorder
        sees each call of the service, `gate_write` each of the gate's, and all tables are read when
        the recorder cannot tell (no recorder, PartiQL, a call lost or in flight, a table it does not
        know by that name)."""
        mark = self.recorder.settled() if self.recorder else None  # before asking: no write falls between
        tables = self._maybe_written()
        changes: list[dict[str, Any]] = []
        if tables:
            now = await asyncio.to_thread(snapshot.take, self.ddb, tables)
            changes = snapshot.diff(self.seeded, now, tables)
            if changes:
                await asyncio.to_thread(snapshot.restore, self.ddb, tables, self.seeded, now)
        self._gate_wrote = set()
        self._seed_seq = mark
        return changes

    def _maybe_written(self) -> list[TableConfig]:
        """The tables that may differ from the seed: written since `_seed_seq` (all when unknown)."""
        if self.recorder is None or self._seed_seq is None:
            return list(self.tables)
        names = self.recorder.written_since(self._seed_seq)
        if names is None or not (names := names | self._gate_wrote) <= {t.name for t in self.tables}:
            return list(self.tables)
        return [t for t in self.tables if t.name in names]

    def owner_of(self, table: str | None, item: dict[str, Any]) -> str | None:
        """Which identity owns an item (by the fixture with the same key)."""
        for o in self.owned:
            if o.table == table and o.key and all(item.get(k) == v for k, v in o.key.items()):
                return o.owner
        return None

    def owned_by_values(self, values: list[Any], table: str | None = None) -> set[str]:
        """Identities whose fixture key values appear among `values` (e.g. a call's key values)."""
        vals = {str(v) for v in values}
        owners = set()
        for o in self.owned:
            if o.owner and (table is None or o.table == table) and o.key:
                pk = str(next(iter(o.key.values())))
                if pk in vals:
                    owners.add(o.owner)
        return owners


@functools.lru_cache(maxsize=1024)
def _words(text: str) -> frozenset[str]:
    """Lower-case words of a path or a table name, a trailing plural `s` dropped (`/notes` names `app-note`).
    Asked for every fixture on every probe's path: kept (issue 17)."""
    return frozenset(w.removesuffix("s") for w in re.split(r"[^a-z0-9]+", text.lower()) if w)


def _redacted_call(call: DynamoCall, secrets: list[str]) -> dict[str, Any]:
    """A call as evidence: its values redacted first, then its one-line summary made from them (the
    summary shortens long values, which would leave a secret's prefix past a later redaction)."""
    clean = dataclasses.replace(
        call, key=_redacted(call.key, secrets), values=_redacted(call.values, secrets), items=[], writes=[]
    )
    out: dict[str, Any] = _redacted(call.to_dict(), secrets)
    out["summary"] = clean.summary()
    return out


def _masked(change: dict[str, Any]) -> dict[str, Any]:
    """An item change with the values of secret attributes (a password hash a probe's sign-up wrote, a key)
    replaced: named as changed, never reprinted."""
    out = dict(change)
    for side in ("before", "after"):
        if isinstance(out.get(side), dict):
            out[side] = {k: "…[redacted]" if SENSITIVE_ATTR.search(k) and v else v for k, v in out[side].items()}
    return out


def _redacted(value: Any, secrets: list[str]) -> Any:
    """`value` (a call or an item change) with every secret in its strings replaced by a marker."""
    if isinstance(value, str):
        return redact_text(value, secrets)
    if isinstance(value, dict):
        return {k: _redacted(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_redacted(v, secrets) for v in value]
    return value
