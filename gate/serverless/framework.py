"""The Serverless Framework: `serverless.yml` to functions, routes and authorizers.

Read: `provider` (`runtime`, `stage`, `environment`, `timeout`, `memorySize`,
`httpApi.authorizers` with `issuerUrl`/`audience`, or `functionName` for a Lambda authorizer) and
`functions.*` (`handler`, `environment`, `timeout`, `events`: `httpApi` (HTTP API, payload 2.0)
and `http` (REST API, payload 1.0), in their object or `METHOD /path` string form, each with its
`authorizer`: a name, `{name}`, `{type: COGNITO_USER_POOLS, arn}` or a function). Variables:
`${opt:stage, 'dev'}`, `${sls:stage}`, `${self:a.b}`, `${env:X, 'default'}` (`service.parameters`
give `stage`, `region` and env values). Tables: `resources.Resources`, as CloudFormation.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from gate.dynamo.template import PSEUDO
from gate.errors import ScanError
from gate.serverless.model import App, Authorizer, Function, Route
from gate.serverless.yamllines import Lines

_VAR = re.compile(r"\$\{([^{}]+)\}")
_COGNITO = re.compile(r"userpool/([\w-]+)$")


class _Vars:
    def __init__(self, doc: dict[str, Any], parameters: dict[str, Any]) -> None:
        self.doc, self.params = doc, parameters

    def value(self, value: Any, depth: int = 0) -> Any:
        if isinstance(value, dict):
            return {k: self.value(v, depth) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v, depth) for v in value]
        if not isinstance(value, str) or depth > 10:
            return value
        whole = _VAR.fullmatch(value)
        if whole:
            return self.value(self._one(whole.group(1)), depth + 1)
        return _VAR.sub(lambda m: str(self.value(self._one(m.group(1)), depth + 1)), value)

    def _one(self, expr: str) -> Any:
        for alt in (a.strip() for a in expr.split(",")):
            if alt[:1] in "'\"" and alt[-1:] == alt[:1]:
                return alt[1:-1]
            kind, _, name = alt.partition(":")
            got: Any = None
            if kind in ("opt", "sls") and name in ("stage", "region"):
                got = self.params.get(name)
                if got is None and kind == "sls":  # the provider's value, else the framework's default
                    own = self.value((self.doc.get("provider") or {}).get(name), 9)
                    got = own or ("dev" if name == "stage" else PSEUDO["AWS::Region"])
            elif kind == "env":
                got = self.params.get(name)
            elif kind == "self":
                got = self.doc
                for part in name.split("."):
                    got = got.get(part) if isinstance(got, dict) else None
            elif kind == "aws" and name in ("region", "accountId"):
                got = PSEUDO["AWS::Region" if name == "region" else "AWS::AccountId"]
            if got is not None:
                return got
        return ""


def _load(path: Path) -> dict[str, Any]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ScanError(f"service.template: {path.name} cannot be read as YAML ({type(exc).__name__})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("functions"), dict):
        raise ScanError(f"service.template: {path.name} has no `functions:`")
    return doc


def _authorizer(spec: Any, kind: str, provider: dict[str, Any]) -> Authorizer | None:
    if spec is None:
        return None
    spec = {"name": spec} if isinstance(spec, str) else spec
    name = str(spec.get("name") or "authorizer")
    if (kind == "rest" and (spec.get("type") or "").upper() == "COGNITO_USER_POOLS") or "arn" in spec:
        pool = _COGNITO.search(str(spec.get("arn") or "")) if "cognito" in str(spec.get("arn")) else None
        issuer = f"https://cognito-idp.{PSEUDO['AWS::Region']}.amazonaws.com/{pool.group(1) if pool else name}"
        return Authorizer(name=name, kind="cognito", issuer=issuer)
    if kind == "http":
        spec = {**((provider.get("httpApi") or {}).get("authorizers") or {}).get(name, {}), **spec}
        if spec.get("functionName"):
            return Authorizer(
                name=name,
                kind="lambda",
                function=str(spec["functionName"]),
                payload="2.0",
                simple=bool(spec.get("enableSimpleResponses")),
            )
        aud = spec.get("audience") or []
        return Authorizer(
            name=name,
            kind="jwt",
            issuer=str(spec.get("issuerUrl") or ""),
            audience=tuple(str(a) for a in (aud if isinstance(aud, list) else [aud])),
            header=str(spec.get("identitySource") or "$request.header.Authorization").rsplit(".", 1)[-1],
        )
    return Authorizer(name=name, kind="lambda", function=name, payload=str(spec.get("type") or "TOKEN").upper())


def read(path: Path, root: Path, parameters: dict[str, Any]) -> App:
    raw = _load(path)
    doc = _Vars(raw, parameters).value(raw)
    provider = doc.get("provider") or {}
    lines = Lines(path)
    app = App(kind="serverless", path=path, root=root)
    runtime = str(provider.get("runtime") or "python3.12")
    stage = str(provider.get("stage") or parameters.get("stage") or "dev")
    for name, spec in doc["functions"].items():
        spec = spec or {}
        if not str(spec.get("runtime") or runtime).startswith("python") or not spec.get("handler"):
            app.notes.append(f"{name}: not a Python handler: not served")
            continue
        env = {**(provider.get("environment") or {}), **(spec.get("environment") or {})}
        app.functions[name] = Function(
            name=name,
            handler=str(spec["handler"]),
            code=".",
            timeout=float(spec.get("timeout") or provider.get("timeout") or 6),
            memory=int(spec.get("memorySize") or provider.get("memorySize") or 1024),
            env={str(k): str(v) for k, v in env.items() if not isinstance(v, dict | list)},
            runtime=str(spec.get("runtime") or runtime),
        )
        for i, event in enumerate(spec.get("events") or []):
            kind = next((k for k in ("httpApi", "http") if isinstance(event, dict) and k in event), None)
            if kind is None:
                continue
            ev = event[kind]
            ev = dict(zip(("method", "path"), ev.split(None, 1), strict=False)) if isinstance(ev, str) else ev
            api = "http" if kind == "httpApi" else "rest"
            method = str(ev.get("method") or "ANY").upper()
            app.routes.append(
                Route(
                    method="ANY" if method in ("*", "ANY") else method,
                    path="/" + str(ev.get("path") or "").lstrip("/"),
                    function=name,
                    api=api,
                    payload="2.0" if api == "http" else "1.0",
                    authorizer=_authorizer(ev.get("authorizer"), api, provider),
                    scopes=tuple((ev.get("authorizer") or {}).get("scopes") or ())
                    if isinstance(ev.get("authorizer"), dict)
                    else (),
                    stage="$default" if api == "http" else stage,
                    line=lines.nearest("functions", name, "events", i),
                )
            )
    if not app.functions:
        raise ScanError(f"service.template: {path.name} declares no Python function")
    return app


def resources(path: Path, parameters: dict[str, Any]) -> dict[str, Any]:
    """`resources` of serverless.yml as a CloudFormation document (its tables)."""
    raw = _load(path)
    res = _Vars(raw, parameters).value(raw).get("resources") or {}
    return {"Resources": res.get("Resources") or {}} if isinstance(res, dict) else {"Resources": {}}
