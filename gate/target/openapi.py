"""Operations from the service's OpenAPI document (FastAPI serves one at /openapi.json).

`openapi:` names a URL path on the service or a file in the repository; one that cannot be read is
an error. Left at its default, the gate looks where frameworks serve the document (`DISCOVERY`:
FastAPI, flask-restx's Swagger 2.0, flasgger, springdoc-style and `/api` mounts) within one time
budget, and when none answers with a document the operations come from the source route map
(`gate.target.routes`), with a note naming what was tried (issue 14: most Flask services have no
document, and the 404 of the default used to stop the scan).
"""

from __future__ import annotations

import asyncio
import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from gate.config import Config, ConfigError, read_regular_file
from gate.errors import ScanError
from gate.netutil import Answer, decode, fetch, verify_for
from gate.target.shape import RequestShape, properties, shape_from_openapi

METHODS = ("get", "post", "put", "patch", "delete")
# The document is read within these bounds: a path that streamed JSON forever grew the gate to
# 3 GB in 15 s (issue 12). 8 MiB is far beyond any real API's document and parses well within memory.
MAX_DOCUMENT = 8 << 20
FETCH_SECONDS = 30.0
# Where services serve their document when the config does not say, in the order tried; the whole
# search shares one FETCH_SECONDS budget.
DISCOVERY = (
    "/openapi.json",
    "/swagger.json",
    "/openapi.yaml",
    "/apispec_1.json",
    "/v3/api-docs",
    "/api/openapi.json",
    "/api/swagger.json",  # flask-restx on a Blueprint mounted at /api
)
PARAM_RE = re.compile(r"{([^}/]+)}")
URL_PATH_RE = re.compile(r"/[^\x00-\x1f\x7f]*")


@dataclass(frozen=True, slots=True)
class Operation:
    method: str  # upper case
    path: str  # route template, `{param}` syntax
    path_params: tuple[str, ...] = ()
    query_params: tuple[str, ...] = ()
    body_fields: tuple[str, ...] = ()  # top-level properties of the request body (JSON or form)
    body_types: tuple[tuple[str, str], ...] = ()  # (field, JSON Schema type)
    tags: tuple[str, ...] = ()
    summary: str = ""
    file: str | None = None
    line: int | None = None
    # parameters and body as schemas, for schema-valid requests (issue 13); not part of the identity of
    # the operation, and its dicts are not hashable
    shape: RequestShape = field(default=RequestShape(), compare=False, hash=False, repr=False)

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def has_body(self) -> bool:
        return self.method in ("POST", "PUT", "PATCH")

    def matches(self, path: str) -> bool:
        """Whether a concrete request path (its query string ignored) is an instance of this route."""
        path = path.split("?", 1)[0]
        return path == self.path or _template_rx(self.path).fullmatch(path) is not None


@functools.lru_cache(maxsize=1024)
def _template_rx(template: str) -> re.Pattern[str]:
    """`/users/{user_id}/profile` -> a pattern where each parameter is one path segment."""
    return re.compile(PARAM_RE.sub("[^/]+", re.escape(template).replace(r"\{", "{").replace(r"\}", "}")))


@dataclass(slots=True)
class Spec:
    operations: list[Operation] = field(default_factory=list)
    source: str = ""
    notes: list[str] = field(default_factory=list)  # operations skipped, where they came from, and why
    files: list[str] = field(default_factory=list)  # the service's files read (gate.target.scope), from the root


def parse(doc: dict[str, Any], source: str = "") -> Spec:
    if not isinstance(doc, dict) or not isinstance(doc.get("paths"), dict):
        raise ScanError(f"openapi: {source or 'the document'} has no `paths`: not an OpenAPI document")
    try:
        return _parse(doc, source)
    except (AttributeError, TypeError, KeyError, ValueError, RecursionError) as exc:  # a shape the spec does not allow
        raise ScanError(
            f"openapi: {source or 'the document'} is malformed ({type(exc).__name__} while reading its operations)"
        ) from None


def _decode(text: str, yaml_ok: bool, source: str) -> Any:
    """JSON (or YAML) text to a document; a syntax error names the line, never echoes the text."""
    try:
        return json.loads(text)
    except ValueError as exc:
        if not yaml_ok:
            raise ScanError(f"openapi: {source} is not valid JSON (line {exc.lineno}, column {exc.colno})") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise ScanError(f"openapi: {source} is neither valid JSON nor valid YAML{where}") from None


def _parse(doc: dict[str, Any], source: str) -> Spec:
    ops: list[Operation] = []
    notes: list[str] = []
    for path, item in sorted(doc["paths"].items()):
        if not isinstance(item, dict):
            continue
        if not URL_PATH_RE.fullmatch(path):
            # no request can be sent to it (httpx: InvalidURL), and one such route made every check family
            # fail (issue 12): the rest of the API is still scanned
            notes.append(f"openapi: route {path!r:.80} skipped: not a URL path (control characters, or no leading /)")
            continue
        for method in METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            _objects_where_required(item, op)
            shape = shape_from_openapi(doc, item, op)
            props = properties(shape.body)
            ops.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    path_params=tuple(PARAM_RE.findall(path)),
                    query_params=tuple(p.name for p in shape.params if p.location == "query"),
                    body_fields=tuple(props),
                    body_types=tuple((k, _json_type(v)) for k, v in props.items()),
                    tags=tuple(op.get("tags") or ()),
                    summary=str(op.get("summary") or op.get("operationId") or ""),
                    shape=shape,
                )
            )
    return Spec(operations=ops, source=source, notes=notes)


def _objects_where_required(item: dict[str, Any], op: dict[str, Any]) -> None:
    """Parameters and media types are objects in every version of the specification: anything else makes
    the document malformed (one line, `parse`), not an operation quietly read without them."""
    for p in [*(item.get("parameters") or []), *(op.get("parameters") or [])]:
        if not isinstance(p, dict):
            raise TypeError("a parameter is not an object")
    body = op.get("requestBody")
    content = body.get("content") if isinstance(body, dict) else None
    if isinstance(content, dict) and not all(isinstance(m, dict) for m in content.values()):
        raise TypeError("a media type is not an object")


def _json_type(schema: Any) -> str:
    """A property's JSON type for `body_types`: the first non-null one (3.1 lists, `anyOf` of pydantic)."""
    if not isinstance(schema, dict):
        return "string"
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((t for t in kind if t != "null"), None)
    if isinstance(kind, str):
        return kind
    for combo in ("anyOf", "oneOf", "allOf"):
        for part in schema.get(combo) or ():
            if isinstance(part, dict) and part.get("type") != "null" and (found := _json_type(part)) != "string":
                return found
    return "string"


def load(location: str, root: Path, base_url: str | None) -> Spec:
    """`location` is a URL path on the service (`/openapi.json`) or a file relative to `root`."""
    candidate = root / location.lstrip("/")
    if not location.startswith("/") or (candidate.is_file() and not base_url):
        path = root / location
        try:
            text = decode(read_regular_file(path, MAX_DOCUMENT, "openapi: names a file in the repository"), "utf-8")
        except ConfigError as exc:
            raise ScanError(f"openapi: {exc.problems[0]}") from None
        return parse(_with_base_path(_decode(text, path.suffix in (".yml", ".yaml"), location)), location)
    if base_url is None:
        raise ScanError("openapi: a URL path needs a running service")
    try:
        r = asyncio.run(_fetch(base_url + location))
    except httpx.HTTPError as exc:
        raise ScanError(f"openapi: GET {location} failed: {exc}") from None
    if r.status_code != 200:
        raise ScanError(f"openapi: GET {location} answered {r.status_code}", [r.text[:300]])
    if r.cut:
        raise ScanError(f"openapi: GET {location} answered more than {MAX_DOCUMENT >> 20} MiB: not read further")
    return parse(_with_base_path(_decode(r.text, True, location)), location)


def _with_base_path(doc: Any) -> Any:
    """Swagger 2.0 `basePath` (`/api` for flask-restx on a Blueprint) put in front of every path: the routes
    are served there, and the operations, the source's route map and the findings all use full paths."""
    if not isinstance(doc, dict) or not str(doc.get("swagger", "")).startswith("2"):
        return doc
    base = doc.get("basePath")
    paths = doc.get("paths")
    if not isinstance(base, str) or not base.strip("/") or not isinstance(paths, dict):
        return doc
    prefix = "/" + base.strip("/")
    full = {(prefix + k if isinstance(k, str) and k.startswith("/") else k): v for k, v in paths.items()}
    return {**doc, "basePath": "/", "paths": full}


def discover(cfg: Config, root: Path, base_url: str | None) -> Spec:
    """The operations' document: as `openapi:` names it; left at its default, the first of DISCOVERY that
    answers with one; else an empty Spec (the route map fills it) with a note saying what was tried."""
    if cfg.openapi is None:
        return Spec(source="routes")
    if "openapi" in cfg.model_fields_set:
        return load(cfg.openapi, root, base_url)
    tried: list[str] = []
    for path, spec, why in asyncio.run(_search(base_url)) if base_url is not None else []:
        if spec is not None:
            if path != DISCOVERY[0]:  # the old default needs no word; elsewhere, say where it came from
                spec.notes.insert(0, f"openapi: not configured; the document served at {path} is read")
            return spec
        tried.append(f"{path} {why}")
    looked = ", ".join(tried) if tried else "no URL (no running service)"
    note = (
        f"openapi: not configured and no document found ({looked}): operations read from the Python source; "
        "set `openapi:` to the document's path or file, or `openapi: null` to say there is none"
    )
    return Spec(source="routes", notes=[note])


def _document(path: str, answer: Answer | str) -> tuple[Spec | None, str]:
    """A found document's operations, or why this answer is none (said in the note)."""
    if isinstance(answer, str):
        return None, answer
    if answer.status_code != 200:
        return None, str(answer.status_code)
    if answer.cut:
        return None, f"over {MAX_DOCUMENT >> 20} MiB"
    try:
        doc = _decode(answer.text, True, path)
    except ScanError:
        return None, "answered 200, not JSON or YAML"
    if not isinstance(doc, dict) or not isinstance(doc.get("paths"), dict):
        return None, "answered 200, no `paths`"  # a catch-all page answering 200 everywhere is no document
    try:
        return parse(_with_base_path(doc), path), ""
    except ScanError as exc:
        return None, exc.message


async def _search(base_url: str) -> list[tuple[str, Spec | None, str]]:
    """GET each DISCOVERY path until one serves a document, all within one FETCH_SECONDS budget."""
    out: list[tuple[str, Spec | None, str]] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + FETCH_SECONDS
    async with httpx.AsyncClient(verify=verify_for(base_url)) as client:
        for path in DISCOVERY:
            left = deadline - loop.time()
            if left <= 0:
                out.append((path, None, "not tried (time budget spent)"))
                continue
            request = client.build_request("GET", base_url + path)
            try:
                got: Answer | str = await fetch(client, request, seconds=left, max_bytes=MAX_DOCUMENT)
            except httpx.HTTPError as exc:
                got = f"failed ({type(exc).__name__})"
            spec, why = _document(path, got)
            out.append((path, spec, why))
            if spec is not None:
                break
    return out


async def _fetch(url: str) -> Answer:
    async with httpx.AsyncClient(verify=verify_for(url)) as client:
        return await fetch(client, client.build_request("GET", url), seconds=FETCH_SECONDS, max_bytes=MAX_DOCUMENT)
