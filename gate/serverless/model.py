"""What a serverless project declares: functions, the routes that invoke them, their authorizers."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_PARAM = re.compile(r"\{([^}/]+?)(\+?)\}")


@dataclass(frozen=True, slots=True)
class Authorizer:
    """An authorizer of an API: `jwt` (HTTP API JWT), `cognito` (REST API user pool) or `lambda`."""

    name: str
    kind: str
    issuer: str | None = None
    audience: tuple[str, ...] = ()
    header: str = "Authorization"  # where the identity source is read
    function: str | None = None  # a Lambda authorizer's function (logical id)
    payload: str = "1.0"  # a Lambda authorizer's event: "TOKEN", "REQUEST" (REST), "1.0" / "2.0" (HTTP API)
    simple: bool = False  # HTTP API Lambda authorizer with simple responses ({"isAuthorized": ...})

    @property
    def played(self) -> bool:
        """Tokens the gate mints and verifies itself (a Lambda authorizer is the service's own code)."""
        return self.kind in ("jwt", "cognito")


@dataclass(frozen=True, slots=True)
class Function:
    name: str  # logical id
    handler: str  # `module.function` (`pkg/module.function` allowed)
    code: str  # folder of the code, relative to the project root
    timeout: float = 3.0
    memory: int = 128
    env: dict[str, str] = field(default_factory=dict, hash=False)
    runtime: str = "python3.12"

    @property
    def module(self) -> str:
        return self.handler.rpartition(".")[0].replace("/", ".")

    @property
    def attribute(self) -> str:
        return self.handler.rpartition(".")[2]


@dataclass(frozen=True, slots=True)
class Route:
    method: str  # upper case, or ANY
    path: str  # API Gateway's template: /notes/{id}, /{proxy+}
    function: str
    api: str = "http"  # "http" (HTTP API) or "rest" (REST API)
    payload: str = "2.0"  # the event format: "2.0" or "1.0"
    authorizer: Authorizer | None = None
    scopes: tuple[str, ...] = ()
    stage: str = "$default"
    line: int | None = None  # of the event in the definition file

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def greedy(self) -> bool:
        return "+}" in self.path

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """The path parameters when `method path` is an instance of this route, else None."""
        if self.method not in ("ANY", method):
            return None
        got = _regex(self.path).fullmatch(path)
        return None if got is None else dict(zip((n for n, _ in param_names(self.path)), got.groups(), strict=True))

    def rank(self) -> tuple[int, int, int]:
        """API Gateway's preference: no greedy parameter, more literal segments, a method over ANY."""
        literal = sum(1 for seg in self.path.split("/") if seg and not seg.startswith("{"))
        return (int(self.greedy), -literal, int(self.method == "ANY"))


@functools.lru_cache(maxsize=512)
def _regex(path: str) -> re.Pattern[str]:
    out, last = [], 0
    for m in _PARAM.finditer(path):
        out.append(re.escape(path[last : m.start()]))
        out.append("(.+)" if m.group(2) else "([^/]+)")
        last = m.end()
    out.append(re.escape(path[last:]))
    return re.compile("".join(out))


def param_names(path: str) -> list[tuple[str, bool]]:
    """(name, greedy) of each path parameter."""
    return [(m.group(1), bool(m.group(2))) for m in _PARAM.finditer(path)]


@dataclass(slots=True)
class App:
    """A serverless project: where it was read from, its functions and routes."""

    kind: str  # "sam", "serverless", "chalice"
    path: Path  # the definition file
    root: Path  # the project folder (functions' code folders are relative to it)
    functions: dict[str, Function] = field(default_factory=dict)
    routes: list[Route] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    definitions: list[dict[str, Any]] = field(default_factory=list)  # OpenAPI DefinitionBody of the APIs

    def route_for(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for r in sorted(self.routes, key=Route.rank):
            got = r.match(method, path)
            if got is not None:
                return r, got
        return None

    @property
    def authorizers(self) -> list[Authorizer]:
        seen: dict[str, Authorizer] = {}
        for r in self.routes:
            if r.authorizer is not None:
                seen.setdefault(r.authorizer.name, r.authorizer)
        return list(seen.values())
