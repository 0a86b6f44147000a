"""`.authgate.yml` (version 1): pydantic models of the whole contract (README: Configuration reference).

Unknown keys are errors (a typo must name the key, never be ignored). `load_config` turns every
problem into a `ConfigError` holding one line per problem (`identities.bob.sub: Field required`);
the CLI prints them and exits 2.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

KeyType = Literal["S", "N", "B"]
Severity = Literal["info", "low", "medium", "high", "critical"]


class ConfigError(Exception):
    """The configuration cannot be used; `problems` holds one human line each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = [_one_line(p, _PROBLEM) for p in problems]
        super().__init__("\n".join(self.problems))


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ServiceConfig(Strict):
    """How the gate starts (or reaches) the service under test."""

    command: str | None = Field(
        None, description="Command that starts the service; {port} and {dynamodb_url} are filled in."
    )
    url: str | None = Field(None, description="Base URL of a service that is already running (instead of command).")
    workdir: str = Field(".", description="Working directory of the service, relative to the config file.")
    install: str | None = Field(None, description="Command run once before the service starts.")
    env: dict[str, str] = Field(
        default_factory=dict,
        description="Extra environment for the service; {dynamodb_url} is the endpoint its DynamoDB calls must go to.",
    )
    ready: str = Field("/openapi.json", description="URL path polled until it answers (any status below 500).")
    startup_timeout: float = Field(30, gt=0, le=600, description="Seconds to wait for `ready`.")
    template: str | None = Field(
        None,
        description="AWS SAM/CloudFormation template (or serverless.yml, .chalice/config.json): the gate serves "
        "its Lambda functions behind a local API Gateway instead of running a command.",
    )
    parameters: dict[str, str] = Field(
        default_factory=dict, description="Template parameter values (over each parameter's Default)."
    )
    instances: int = Field(
        1,
        ge=1,
        le=8,
        description="Service processes started side by side; each has its own recorder port, so DynamoDB calls "
        "are attributed to the exact probe even when probes run in parallel.",
    )

    @model_validator(mode="after")
    def _command_or_url(self) -> ServiceConfig:
        given = [k for k in ("command", "url", "template") if getattr(self, k)]
        if not given:
            raise ValueError(
                "give service.command (the gate starts it), service.url (already running) "
                "or service.template (Lambda functions the gate serves)"
            )
        if len(given) > 1:
            raise ValueError(
                f"give one of service.command, service.url and service.template, not {' and '.join(given)}"
            )
        if self.command and "{port}" not in self.command:
            raise ValueError("service.command must contain {port}: the gate picks a free port")
        return self


class IndexConfig(Strict):
    """A global secondary index."""

    name: str = Field(description="Index name, as the service queries it.")
    key: dict[str, KeyType] = Field(description="Partition key, then optional sort key: {attr: S|N|B}.")

    @field_validator("key")
    @classmethod
    def _key_size(cls, v: dict[str, KeyType]) -> dict[str, KeyType]:
        if not 1 <= len(v) <= 2:
            raise ValueError("a key has a partition key and at most one sort key")
        return v


class TableConfig(IndexConfig):
    """A table the gate creates in DynamoDB Local."""

    name: str = Field(description="Table name, as the service calls it.")
    indexes: list[IndexConfig] = Field(default_factory=list, description="Global secondary indexes.")


class DynamoConfig(Strict):
    """The database: embedded DynamoDB Local, its tables (listed here or read from a template)."""

    endpoint: str | None = Field(
        None,
        description="An existing DynamoDB(-Local) endpoint; default: embedded. The gate seeds it under its own "
        "random key: run it with -sharedDb when a service started elsewhere (service.url) reads it directly.",
    )
    tables: list[TableConfig] = Field(default_factory=list, description="Tables to create, with keys and GSIs.")
    template: str | None = Field(None, description="CloudFormation/SAM template to read tables from.")


class JwtConfig(Strict):
    """JWTs: the gate hands the service a fresh key per scan and mints the identities' tokens with it."""

    secret_env: str = Field("JWT_SECRET", description="Env var through which the gate hands the service its secret.")
    algorithm: Literal["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256"] = Field(
        "HS256", description="Signing algorithm the service verifies."
    )
    subject_claim: str = Field("sub", description="Claim that names the caller.")
    public_key_env: str | None = Field(None, description="For RS*/ES*: env var with the public key (PEM).")
    private_key_env: str | None = Field(None, description="For RS*/ES*: env var with the private key (PEM).")
    expires_in: int = Field(900, gt=0, description="Lifetime in seconds of the tokens the gate mints.")


class LoginConfig(Strict):
    """The identities log in through the service; their tokens come from its answers."""

    path: str = Field("/login", description="Login route.")
    method: Literal["POST", "PUT"] = Field("POST", description="Its method.")
    body: dict[str, Any] = Field(
        default_factory=lambda: {"email": "{email}", "password": "{password}"},
        description="Login body; {email} and {password} are filled per identity.",
    )
    form: bool = Field(False, description="Send the body form-encoded instead of JSON.")
    token: str = Field("access_token", description="Dotted path to the token in the JSON answer.")
    cookie: str | None = Field(None, description="Take the token from this cookie instead.")
    reset_path: str | None = Field(None, description="Password-reset route (enumeration check).")
    reset_body: dict[str, Any] = Field(
        default_factory=lambda: {"email": "{email}"}, description="Password-reset body; {email} is filled in."
    )


class RegisterConfig(Strict):
    """The service's own sign-up: identities without a fixture record are created through it, then log in."""

    path: str = Field("/register", description="Sign-up route.")
    method: Literal["POST", "PUT"] = Field("POST", description="Its method.")
    body: dict[str, Any] = Field(
        default_factory=lambda: {"email": "{email}", "password": "{password}"},
        description="Sign-up body; {email}, {password}, {sub} and {name} are filled per identity.",
    )
    form: bool = Field(False, description="Send the body form-encoded instead of JSON.")


class LogoutConfig(Strict):
    """The logout route: kept away from the scan's identities, used by jwt.after-logout."""

    path: str = Field("/logout", description="Logout route.")
    method: Literal["POST", "GET", "DELETE"] = Field("POST", description="Its method.")


class ApiKeyConfig(Strict):
    """Static API keys (one per identity, `identities.<name>.api_key`) instead of tokens."""

    header: str = Field("X-Api-Key", description="Header that carries the key.")


class PasswordHashConfig(Strict):
    """How the service hashes passwords: the gate seeds user records with the service's own hashing."""

    command: str | None = Field(
        None, description="Command reading the password on stdin, printing the hash as its last line."
    )
    callable: str | None = Field(None, description="module:function computing the stored hash (run in a subprocess).")
    attribute: str = Field("password_hash", description="Item attribute that stores the hash.")
    timeout: float = Field(60, gt=0, le=600, description="Seconds the hashing may take in all.")

    @model_validator(mode="after")
    def _one_way(self) -> PasswordHashConfig:
        if bool(self.command) == bool(self.callable):
            raise ValueError("give auth.password_hash.command or auth.password_hash.callable (exactly one)")
        if self.callable and not re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*", self.callable):
            raise ValueError(f"auth.password_hash.callable: expected module:function, got {self.callable!r}")
        return self


class UsersConfig(Strict):
    """Where the service keeps its user records: the gate seeds hashes and throwaway accounts there."""

    table: str = Field(description="Table holding the user records (one fixture per identity, owned by it).")
    email: str = Field("email", description="Attribute holding the login e-mail.")
    enabled: str | None = Field("enabled", description="Boolean attribute of an active account; null: none.")
    disabled: str | None = Field(
        None, description="Boolean attribute true on a disabled account (the inverse flag: `disabled`, `is_blocked`)."
    )
    email_confirmed: str | None = Field(
        "email_confirmed", description="Boolean attribute of a confirmed e-mail address; null: none."
    )
    template: str | None = Field(
        None,
        description="Identity whose user record is copied for the gate's throwaway accounts "
        "(default: the first regular identity with a record in the table).",
    )


class AuthConfig(Strict):
    """How callers authenticate: header and scheme, JWTs, a login flow, API keys."""

    header: str = Field("Authorization", description="Header that carries the credential.")
    scheme: str = Field("Bearer", description="Scheme before the token (empty: the bare token).")
    jwt: JwtConfig | None = None
    login: LoginConfig | None = None
    # `register` itself would shadow BaseModel.register (abc): the key is `register`, the attribute `signup`
    signup: RegisterConfig | None = Field(None, alias="register")
    logout: LogoutConfig | None = None
    api_key: ApiKeyConfig | None = None
    password_hash: PasswordHashConfig | None = None
    users: UsersConfig | None = None


class IdentityConfig(Strict):
    """An identity the gate acts as (at least two: one attacks the other)."""

    sub: str = Field(description="Subject: the value of the subject claim, usually the owner key of its items.")
    email: str | None = Field(None, description="Login e-mail (login flow, enumeration).")
    password: str | None = Field(None, description="Password for the login flow.")
    claims: dict[str, Any] = Field(default_factory=dict, description="Extra claims in minted tokens.")
    role: str | None = Field(None, description="A role marks a privileged identity (bfla).")
    api_key: str | None = Field(None, description="Its API key (auth.api_key).")


class FixtureConfig(Strict):
    """An item the gate writes before the scan."""

    table: str = Field(description="Table of the item.")
    owner: str | None = Field(None, description="Identity that owns this item (bola).")
    item: dict[str, Any] = Field(description="The item, as plain JSON values.")


class RateLimitConfig(Strict):
    """The brute-force check: failed logins sent to the credential endpoint."""

    path: str | None = Field(None, description="The credential endpoint attacked; default: auth.login.path.")
    attempts: int = Field(30, ge=3, le=500, description="Failed logins sent.")
    seconds: float = Field(5.0, gt=0, le=60, description="Time budget of the attempts.")


class ChecksConfig(Strict):
    """What the checks may do and skip."""

    exclude: list[str] = Field(default_factory=list, description="Check ids or families to skip.")
    rate_limit: RateLimitConfig = Field(default_factory=RateLimitConfig)
    public: list[str] = Field(
        default_factory=list,
        description="Operations meant to be anonymous (`GET /health`, globs allowed); the login route always is.",
    )
    admin_paths: list[str] = Field(
        default_factory=list, description="Extra route templates only privileged identities may call."
    )
    skip: dict[str, str] = Field(
        default_factory=dict,
        description="Operations not scanned at all (`POST /webhook`), each with the reason (kept in the report).",
    )


class GateConfig(Strict):
    """The verdict: threshold, severity that fails, baseline, time budget."""

    threshold: int = Field(80, ge=0, le=100, description="Minimum gate score to pass.")
    fail_on: Severity = Field("high", description="A new finding at or above this severity fails the gate.")
    baseline: str = Field(".authgate-baseline.json", description="Accepted findings, by fingerprint.")
    min_coverage: float = Field(
        1.0,
        ge=0,
        le=1,
        description="Share of operations a legitimate request must reach (2xx); below it the scan is incomplete "
        "(error) and names each operation not reached.",
    )
    timeout: float = Field(
        600,
        ge=10,
        le=3600,
        description="Time budget of the checks, in seconds; a scan that runs past it stops as incomplete (error).",
    )


class SourceConfig(Strict):
    """Which files are the service's code: what its entry module imports, plus and minus globs."""

    entry: str | None = Field(
        None,
        description="Entry module, relative to service.workdir (`main.py`, `app/main.py`); default: the module "
        "service.command names (`uvicorn app.main:app`, `flask --app app`, `python main.py`).",
    )
    include: list[str] = Field(
        default_factory=list,
        description="Globs (relative to service.workdir) of more files that are the service's code; their imports "
        "are followed too.",
    )
    exclude: list[str] = Field(
        default_factory=list,
        description="Globs (relative to service.workdir; a name without `/` matches at any depth) of files that are "
        "not, even when imported (`scripts`, `**/migrations/**`).",
    )


class OperationConfig(Strict):
    """Values for one operation's legitimate requests, merged over the ones the gate builds from its schema."""

    body: Any = Field(None, description="Body fields (an object is merged over the generated body; else replaces it).")
    query: dict[str, Any] = Field(default_factory=dict, description="Query parameters.")
    headers: dict[str, str] = Field(default_factory=dict, description="Request headers.")
    cookies: dict[str, str] = Field(default_factory=dict, description="Cookies.")


class Config(Strict):
    version: Literal[1] = Field(description="Config format version.")
    service: ServiceConfig
    openapi: str | None = Field(
        "/openapi.json",
        description="URL path on the service, or a file in the repo. Not given: the usual places are tried "
        "(/openapi.json, /swagger.json, /openapi.yaml, /apispec_1.json, /v3/api-docs, /api/openapi.json, "
        "/api/swagger.json), then the routes are read from the source; null: from the source.",
    )
    dynamodb: DynamoConfig = Field(default_factory=DynamoConfig)
    auth: AuthConfig = Field(default_factory=AuthConfig)
    identities: dict[str, IdentityConfig] = Field(description="The identities, by name.")
    fixtures: list[FixtureConfig] = Field(default_factory=list, description="Items seeded before the scan.")
    source: SourceConfig = Field(default_factory=SourceConfig)
    operations: dict[str, OperationConfig] = Field(
        default_factory=dict, description="Per operation (`POST /todos`), values its requests need."
    )
    checks: ChecksConfig = Field(default_factory=ChecksConfig)
    gate: GateConfig = Field(default_factory=GateConfig)

    @model_validator(mode="after")
    def _cross_references(self) -> Config:
        problems: list[str] = []
        if len(self.identities) < 2:
            problems.append("identities: at least two identities are needed (one to attack the other)")
        tables = {t.name: t for t in self.dynamodb.tables}
        for i, fx in enumerate(self.fixtures):
            if fx.owner is not None and fx.owner not in self.identities:
                problems.append(f"fixtures.{i}.owner: unknown identity {fx.owner!r}")
            table = tables.get(fx.table)
            if table is None:
                if self.dynamodb.tables:
                    problems.append(f"fixtures.{i}.table: unknown table {fx.table!r}")
                continue
            missing = [k for k in table.key if k not in fx.item]
            if missing:
                problems.append(f"fixtures.{i}.item: missing key attribute {', '.join(missing)}")
        if self.auth.api_key:
            for name, ident in self.identities.items():
                if not ident.api_key:
                    problems.append(f"identities.{name}.api_key: required with auth.api_key")
        if self.auth.login:
            for name, ident in self.identities.items():
                if ident.password is None and not (self.auth.api_key and ident.api_key):
                    problems.append(f"identities.{name}.password: required with auth.login")
        users = self.auth.users
        if self.auth.password_hash and users is None:
            problems.append("auth.password_hash: needs auth.users (the table the hashes are written to)")
        if users is not None:
            if self.dynamodb.tables and users.table not in tables:
                problems.append(f"auth.users.table: unknown table {users.table!r}")
            if users.template is not None and users.template not in self.identities:
                problems.append(f"auth.users.template: unknown identity {users.template!r}")
        for key in [*self.operations, *self.checks.skip]:
            where = "operations" if key in self.operations else "checks.skip"
            if not re.fullmatch(r"(GET|POST|PUT|PATCH|DELETE) /\S*", key):
                problems.append(f"{where}: {key[:80]!r} is not `METHOD /route` (e.g. `POST /todos`)")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def privileged(self) -> list[str]:
        return [n for n, i in self.identities.items() if i.role]

    @property
    def regular(self) -> list[str]:
        return [n for n, i in self.identities.items() if not i.role]


MAX_CONFIG_BYTES = 1 << 20  # far beyond any real config; a bigger file is refused before it is read
MAX_DEPTH = 64  # nesting of mappings and lists; real configs use under 10
_KEY_PART = 60  # characters of one key shown in a problem
_PROBLEM = 300  # characters of one problem


def _one_line(text: str, limit: int) -> str:
    """`text` made safe for one line of output: control characters escaped, cut at `limit` characters
    (a 100 KB key must not be echoed whole, a newline must not start a second line)."""
    flat = re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\x{ord(m.group()):02x}", text)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def read_regular_file(path: Path, limit: int, what: str) -> bytes:
    """The bytes of `path`, refused unless it is a regular file (not a symlink, FIFO or device) of at most
    `limit` bytes: a `.authgate.yml` that was a symlink to /dev/zero exhausted memory (issue 12)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        raise ConfigError([f"{path}: no such file ({what})"]) from None
    except OSError as exc:
        reason = "a symbolic link (authgate reads only a regular file)" if exc.errno == errno.ELOOP else exc.strerror
        raise ConfigError([f"{path}: cannot read: {reason}"]) from None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ConfigError([f"{path}: not a regular file (authgate reads only a regular file)"])
        data = fh.read(limit + 1)  # never more, whatever the size said (/proc files report 0)
    if len(data) > limit:
        raise ConfigError([f"{path}: larger than {limit >> 10} KiB: not read"])
    return data


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases: the YAML is only composed into nodes here; `_Builder` turns them
    into values, naming the key path of any value it cannot read."""

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        # an alias repeats a node without copying it: a 2.7 KB "billion laughs" in fixtures[].item grew
        # past 4 GB once built and serialised (issue 12); a config has no use for them
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "YAML aliases (*name) are not allowed in .authgate.yml", event.start_mark
            )
        return super().compose_node(parent, index)  # type: ignore[no-any-return]


_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"


class _ValueError(Exception):
    def __init__(self, path: list[str], problem: str, node: yaml.Node) -> None:
        where = ".".join(_one_line(p, _KEY_PART) for p in path) or "(top level)"
        mark = node.start_mark
        super().__init__(f"{where}: {problem} (line {mark.line + 1}, column {mark.column + 1})")


def _build(loader: _LineLoader, node: yaml.Node, path: list[str]) -> Any:
    """Plain Python values from a composed node, bounded in depth; every problem names the key path
    (`fixtures.0.item.n: not a valid float`)."""
    if len(path) > MAX_DEPTH:
        raise _ValueError([*path[:8], "…"], f"nested deeper than {MAX_DEPTH} levels", node)
    if isinstance(node, yaml.MappingNode):
        if node.tag != _MAP:
            raise _ValueError(path, f"the tag {_one_line(node.tag, 40)} is not allowed on a mapping", node)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _build(loader, key_node, path)
            if isinstance(key, (list, dict)):  # unhashable: PyYAML's own check would be a TypeError here
                raise _ValueError(path, "a key must be a plain value, not a list or mapping", key_node)
            if key in out:
                raise _ValueError(path, f"duplicate key {_one_line(repr(key), _KEY_PART)}", key_node)
            out[key] = _build(loader, value_node, [*path, str(key)])
        return out
    if isinstance(node, yaml.SequenceNode):
        if node.tag != _SEQ:
            raise _ValueError(path, f"the tag {_one_line(node.tag, 40)} is not allowed on a list", node)
        return [_build(loader, item, [*path, str(i)]) for i, item in enumerate(node.value)]
    try:
        return loader.construct_object(node, deep=True)  # type: ignore[no-untyped-call]
    except yaml.constructor.ConstructorError as exc:
        raise _ValueError(path, _one_line(str(exc.problem), 120), node) from None
    except Exception as exc:
        # PyYAML's scalar constructors fail in many ways: ValueError (`!!float nope`, `2020-13-45`, a 5,000-digit
        # int), KeyError (`!!bool maybe`), IndexError (`!!float ''`), AttributeError (`!!timestamp ''`), ...
        tag = node.tag.rsplit(":", 1)[-1] if node.tag.startswith("tag:yaml.org,2002:") else node.tag
        raise _ValueError(path, f"not a valid {_one_line(tag, 40)} ({type(exc).__name__})", node) from None


def _format_error(err: dict[str, Any]) -> list[str]:
    loc = ".".join(_one_line(str(p), _KEY_PART) for p in err["loc"] if not str(p).startswith("function-"))
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "value_error" and "; " in msg:
        return [m if ":" in m.split(" ")[0] else f"{loc}: {m}" for m in msg.split("; ")]
    if err["type"] == "extra_forbidden":
        msg = "unknown key (not in the authgate config schema)"
    return [f"{loc}: {msg}" if loc else msg]


def parse_config(data: Any, source: str = ".authgate.yml") -> Config:
    if not isinstance(data, dict):
        raise ConfigError([f"{source}: the file must hold a mapping (version: 1, service: ..., ...)"])
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        lines: list[str] = []
        for err in exc.errors(include_url=False):
            lines.extend(_format_error(dict(err)))
        raise ConfigError(lines) from None


def load_config(path: Path) -> Config:
    """The config at `path`; any problem with it, whatever the file holds, is a ConfigError."""
    data = read_regular_file(path, MAX_CONFIG_BYTES, "authgate reads .authgate.yml; --config names another")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{path}: not UTF-8 text (byte {exc.start + 1} cannot be decoded)"]) from None
    loader: _LineLoader | None = None
    try:
        loader = _LineLoader(text)  # it refuses non-printable characters already
        root = loader.get_single_node()
        return parse_config(_build(loader, root, []) if root is not None else None, str(path))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        raise ConfigError([f"{path}: YAML error at {where}: {exc.problem or exc.context}"]) from None
    except yaml.reader.ReaderError as exc:
        raise ConfigError([f"{path}: YAML error at character {exc.position + 1}: {exc.reason}"]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([f"{path}: YAML error: {exc}"]) from None
    except _ValueError as exc:
        raise ConfigError([str(exc)]) from None
    except RecursionError:  # PyYAML composes nested nodes recursively, before MAX_DEPTH can be checked
        raise ConfigError([f"{path}: nested too deeply (more than {MAX_DEPTH} levels)"]) from None
    finally:
        if loader is not None:
            loader.dispose()


def config_schema() -> dict[str, Any]:
    schema = Config.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "authgate configuration (.authgate.yml, version 1)"
    return schema
