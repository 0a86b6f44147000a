"""AWS SAM / CloudFormation templates to functions, routes and authorizers.

Read: `AWS::Serverless::Function` (with `Globals.Function`) and its `Api` (REST API, payload 1.0)
and `HttpApi` (HTTP API, payload 2.0 unless `PayloadFormatVersion` says 1.0) events;
`AWS::Serverless::Api` / `AWS::Serverless::HttpApi` (or the implicit APIs, with `Globals.Api` /
`Globals.HttpApi`) for their `Auth`: Cognito user-pool authorizers, HTTP API JWT authorizers and
Lambda (token or request) authorizers, `DefaultAuthorizer`, and a route's `Auth: Authorizer: NONE`.
Names and environment variables go through the template Resolver with the config's parameters;
a Ref to a resource that is not a table resolves to a stand-in (a user pool's id), so an issuer
built from it is the same wherever it is used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gate.dynamo import template
from gate.errors import ScanError
from gate.serverless.model import App, Authorizer, Function, Route
from gate.serverless.yamllines import Lines

_FUNCTION = "AWS::Serverless::Function"
_APIS = {"AWS::Serverless::Api": "rest", "AWS::Serverless::HttpApi": "http"}
_IMPLICIT = {"rest": "ServerlessRestApi", "http": "ServerlessHttpApi"}
_COGNITO_ISSUER = "https://cognito-idp.{region}.amazonaws.com/{pool}"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _logical(value: Any) -> str | None:
    """The logical id a Ref / GetAtt / Sub points at (`!GetAtt Fn.Arn`, `!Ref Api`)."""
    if isinstance(value, dict) and len(value) == 1:
        ((fn, arg),) = value.items()
        if fn == "Ref":
            return str(arg)
        if fn == "Fn::GetAtt":
            return str(arg[0] if isinstance(arg, list) else str(arg).split(".")[0])
        if fn == "Fn::Sub" and isinstance(arg, str) and arg.startswith("${") and "}" in arg:
            return arg[2:].split("}")[0].split(".")[0]
    return None


class _Reader:
    def __init__(self, path: Path, root: Path, parameters: dict[str, Any]) -> None:
        self.path, self.root = path, root
        self.doc = template.load(path, "service.template")
        self.res = template.Resolver(self.doc, parameters, stand_ins=True)
        self.lines = Lines(path)
        self.resources = _dict(self.doc.get("Resources"))
        self.globals = _dict(self.doc.get("Globals"))
        self.app = App(kind="sam", path=path, root=root)

    def read(self) -> App:
        for name, res in self.resources.items():
            if _dict(res).get("Type") == _FUNCTION:
                self._function(name, _dict(_dict(res).get("Properties")))
        for res in self.resources.values():
            body = _dict(_dict(res).get("Properties")).get("DefinitionBody")
            if _dict(res).get("Type") in _APIS and isinstance(body, dict):
                self.app.definitions.append(_dict(self.res.resolve(body)))
        if not self.app.functions:
            skipped = f": {'; '.join(self.app.notes[:3])}" if self.app.notes else ""
            raise ScanError(f"service.template: {self.path.name} declares no Python AWS::Serverless::Function{skipped}")
        return self.app

    def _function(self, name: str, props: dict[str, Any]) -> None:
        merged = {**_dict(self.globals.get("Function")), **props}
        runtime = str(self.res.resolve(merged.get("Runtime")) or "python3.12")
        if merged.get("PackageType") == "Image" or not runtime.startswith("python"):
            self.app.notes.append(f"{name}: runtime {runtime} is not Python: not served")
            return
        handler = self.res.resolve(merged.get("Handler"))
        code = self.res.resolve(merged.get("CodeUri"))
        if not isinstance(handler, str) or "." not in handler:
            raise ScanError(f"service.template: {name}.Handler must be `module.function`, got {handler!r:.60}")
        env = dict(_dict(_dict(_dict(self.globals.get("Function")).get("Environment")).get("Variables")))
        env.update(_dict(_dict(props.get("Environment")).get("Variables")))
        values: dict[str, str] = {}
        for key, raw in env.items():
            got = self.res.resolve(raw)
            if got is None or isinstance(got, dict | list):
                self.app.notes.append(f"{name}: environment variable {key} depends on a deployment: left unset")
            else:
                values[str(key)] = str(got).lower() if isinstance(got, bool) else str(got)
        self.app.functions[name] = Function(
            name=name,
            handler=handler,
            code=code if isinstance(code, str) else ".",
            timeout=float(self.res.resolve(merged.get("Timeout")) or 3),
            memory=int(self.res.resolve(merged.get("MemorySize")) or 128),
            env=values,
            runtime=runtime,
        )
        for event, spec in _dict(props.get("Events")).items():
            kind = {"Api": "rest", "HttpApi": "http"}.get(str(_dict(spec).get("Type")))
            if kind is not None:
                self._route(name, event, kind, _dict(_dict(spec).get("Properties")))

    def _route(self, fn: str, event: str, kind: str, props: dict[str, Any]) -> None:
        api_id = _logical(props.get("RestApiId" if kind == "rest" else "ApiId")) or _IMPLICIT[kind]
        api = self._api_props(api_id, kind)
        auth = _dict(api.get("Auth"))
        own = _dict(props.get("Auth"))
        chosen = own.get("Authorizer", auth.get("DefaultAuthorizer"))
        authorizer = None
        if isinstance(chosen, str) and chosen not in ("NONE", "AWS_IAM"):
            spec = _dict(_dict(auth.get("Authorizers")).get(chosen))
            if not spec:
                raise ScanError(
                    f"service.template: {fn}.Events.{event} names authorizer {chosen!r}, which {api_id} lacks"
                )
            authorizer = self._authorizer(chosen, kind, spec)
        elif chosen == "AWS_IAM":
            self.app.notes.append(f"{fn}.Events.{event}: AWS_IAM authorization is not played: served without it")
        payload = "1.0" if kind == "rest" else str(self.res.resolve(props.get("PayloadFormatVersion")) or "2.0")
        path = str(self.res.resolve(props.get("Path")) or "/")
        method = str(self.res.resolve(props.get("Method")) or "ANY").upper()
        self.app.routes.append(
            Route(
                method="ANY" if method in ("ANY", "X-AMAZON-APIGATEWAY-ANY-METHOD") else method,
                path=path,
                function=fn,
                api=kind,
                payload=payload,
                authorizer=authorizer,
                scopes=tuple(str(s) for s in (self.res.resolve(own.get("AuthorizationScopes")) or ())),
                stage=str(self.res.resolve(api.get("StageName")) or ("$default" if kind == "http" else "Prod")),
                line=self.lines.nearest("Resources", fn, "Properties", "Events", event),
            )
        )

    def _api_props(self, api_id: str, kind: str) -> dict[str, Any]:
        res = _dict(self.resources.get(api_id))
        if res.get("Type") in _APIS:
            return {**_dict(self.globals.get("Api" if kind == "rest" else "HttpApi")), **_dict(res.get("Properties"))}
        return _dict(self.globals.get("Api" if kind == "rest" else "HttpApi"))

    def _authorizer(self, name: str, kind: str, spec: dict[str, Any]) -> Authorizer:
        if "FunctionArn" in spec:
            fn = _logical(spec.get("FunctionArn"))
            ident = _dict(spec.get("Identity"))
            headers = ident.get("Headers") or ([ident["Header"]] if ident.get("Header") else ["Authorization"])
            payload = (
                str(spec.get("FunctionPayloadType") or "TOKEN")
                if kind == "rest"
                else str(spec.get("AuthorizerPayloadFormatVersion") or "2.0")
            )
            return Authorizer(
                name=name,
                kind="lambda",
                function=fn,
                header=str(headers[0]),
                payload=payload,
                simple=bool(spec.get("EnableSimpleResponses")),
            )
        if "JwtConfiguration" in spec:
            jc = _dict(self.res.resolve(spec["JwtConfiguration"]))
            aud = jc.get("audience") or []
            source = str(spec.get("IdentitySource") or "$request.header.Authorization")
            return Authorizer(
                name=name,
                kind="jwt",
                issuer=str(jc.get("issuer") or ""),
                audience=tuple(str(a) for a in (aud if isinstance(aud, list) else [aud]) if a is not None),
                header=source.rsplit(".", 1)[-1],
            )
        if "UserPoolArn" in spec:
            pools = spec["UserPoolArn"] if isinstance(spec["UserPoolArn"], list) else [spec["UserPoolArn"]]
            pool = _logical(pools[0]) or str(self.res.resolve(pools[0]) or "pool").rsplit("/", 1)[-1]
            region = template.PSEUDO["AWS::Region"]
            ident = _dict(spec.get("Identity"))
            return Authorizer(
                name=name,
                kind="cognito",
                issuer=_COGNITO_ISSUER.format(
                    region=region, pool=f"{region}_{pool}" if pool in self.resources else pool
                ),
                header=str(ident.get("Header") or "Authorization"),
            )
        raise ScanError(f"service.template: authorizer {name}: neither JwtConfiguration, UserPoolArn nor FunctionArn")


def read(path: Path, root: Path, parameters: dict[str, Any]) -> App:
    return _Reader(path, root, parameters).read()
