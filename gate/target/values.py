"""Values a service accepts: a schema-valid example for every schema, and requests built from shapes (issue 13).

Before this, every string was `authgate-probe-<field>` and every integer 7, so an e-mail, an enum
1..3, a date or a `Literal[...]` field got a 422 and the probe never reached the handler. Values are
deterministic (no randomness, no clock): the same operation gets the same request on every run, so
findings and their evidence are reproducible. Plain strings keep the marker, which the checks look
for in stored data.
"""

from __future__ import annotations

import base64
import json
import math
import re
import re._constants as sre
import re._parser as sre_parse
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from gate.target.shape import FORM, MULTIPART, RequestShape

MARKER = "authgate-probe"
MAX_DEPTH = 10  # nested objects and arrays; a shape's recursive schemas are already cut (shape.py)
MAX_ERROR = 200
PASSWORD = "Authgate-Probe-7!Qz"  # upper, lower, digit, symbol, 19 chars: passes common strength rules
_NULL = {"type": "null"}
_TOLERANCE = 1e-9

# (fragment of a field name, format it suggests): used only when the schema says nothing more
_NAME_HINTS = (
    (re.compile(r"e?mail", re.I), "email"),
    (re.compile(r"passw(or)?d|pwd", re.I), "password"),
    (re.compile(r"(_at|date_?time)$", re.I), "date-time"),
    (re.compile(r"date$", re.I), "date"),
    (re.compile(r"ur[li]|link", re.I), "uri"),
    (re.compile(r"uuid", re.I), "uuid"),
)
_PRIVILEGES = (
    "superadmin",
    "owner",
    "root",
    "admin",
    "administrator",
    "staff",
    "moderator",
    "manager",
    "editor",
    "premium",
    "pro",
    "enterprise",
)
_CHECKED_FORMATS = ("email", "uuid", "date", "date-time", "ipv4")


# -- schema helpers -----------------------------------------------------------------------------


def _types(schema: Mapping[str, Any]) -> list[str]:
    kind = schema.get("type")
    if isinstance(kind, str):
        return [kind]
    return [t for t in kind if isinstance(t, str)] if isinstance(kind, list) else []


def nullable(schema: Mapping[str, Any]) -> bool:
    """OpenAPI 3.0 `nullable: true`, 3.1 `type: [..., "null"]`, or a null alternative (pydantic `Optional`)."""
    if schema.get("nullable") is True or "null" in _types(schema):
        return True
    return any(_is_null(alt) for key in ("anyOf", "oneOf") for alt in schema.get(key) or ())


def _is_null(schema: Any) -> bool:
    return isinstance(schema, Mapping) and _types(schema) == ["null"]


def merge_all_of(schema: Mapping[str, Any]) -> dict[str, Any]:
    """`allOf` parts folded into one schema: properties merged, `required` united, other keys first-wins."""
    out = {k: v for k, v in schema.items() if k != "allOf"}
    for part in schema.get("allOf") or ():
        if not isinstance(part, Mapping):
            continue
        part = merge_all_of(part)
        for key, value in part.items():
            if key == "properties":
                out["properties"] = {**value, **(out.get("properties") or {})}
            elif key == "required":
                out["required"] = list(dict.fromkeys([*(out.get("required") or []), *value]))
            else:
                out.setdefault(key, value)
    return out


def _first_alternative(schema: Mapping[str, Any]) -> dict[str, Any] | None:
    """For `oneOf`/`anyOf`: the first non-null alternative, refined by the keywords beside it (`title`...)."""
    for key in ("oneOf", "anyOf"):
        alts = [a for a in schema.get(key) or () if isinstance(a, Mapping) and not _is_null(a)]
        if alts:
            rest = {k: v for k, v in schema.items() if k not in ("oneOf", "anyOf")}
            return {**rest, **alts[0]}
    return None


def _explicit(schema: Mapping[str, Any]) -> tuple[bool, Any]:
    """A value the schema itself offers: example, examples, default, const, enum (in that order)."""
    if "example" in schema:
        return True, schema["example"]
    examples = schema.get("examples")
    if isinstance(examples, list) and examples:
        return True, examples[0]
    if isinstance(examples, Mapping):  # OpenAPI parameter style: {name: {"value": ...}}
        for ex in examples.values():
            if isinstance(ex, Mapping) and "value" in ex:
                return True, ex["value"]
    if "default" in schema and (schema["default"] is not None or nullable(schema)):
        return True, schema["default"]
    if "const" in schema:
        return True, schema["const"]
    enum = [v for v in schema.get("enum") or () if v is not None]
    if enum:
        return True, enum[0]
    return False, None


def _kind(schema: Mapping[str, Any]) -> str | None:
    """The type to build: the first non-null declared one, else what the keywords imply."""
    declared = [t for t in _types(schema) if t != "null"]
    if declared:
        return declared[0]
    if "properties" in schema or "required" in schema:
        return "object"
    if "items" in schema or "prefixItems" in schema:
        return "array"
    if any(k in schema for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")):
        return "number"
    if _types(schema) == ["null"]:
        return "null"
    return None  # say nothing: a string, shaped by the field's name


# -- example ------------------------------------------------------------------------------------


def example(schema: Mapping[str, Any], name: str = "", marker: str = MARKER) -> Any:
    """A value `schema` accepts, built the same way every time; `name` (the field's) helps when it says little."""
    return _Builder(marker).value(schema, name, 0, 0)


@dataclass(slots=True)
class _Builder:
    marker: str

    def value(self, schema: Any, name: str, depth: int, variant: int) -> Any:
        """`variant` > 0 asks for a different value of the same schema (array items with `uniqueItems`)."""
        if not isinstance(schema, Mapping):
            schema = {}
        if "allOf" in schema:
            return self.value(merge_all_of(schema), name, depth, variant)
        found, value = _explicit(schema)
        if found and not (variant and schema.get("enum")):
            return value
        alternative = _first_alternative(schema)
        if alternative is not None:
            return self.value(alternative, name, depth, variant)
        enum = [v for v in schema.get("enum") or () if v is not None]
        if enum:
            return enum[variant % len(enum)]
        kind = _kind(schema)
        if kind == "object":
            return self.obj(schema, depth) if depth < MAX_DEPTH else {}
        if kind == "array":
            return self.array(schema, name, depth) if depth < MAX_DEPTH else []
        if kind in ("integer", "number"):
            return number(schema, kind == "integer", variant)
        if kind == "boolean":
            return bool(variant % 2)
        if kind == "null":
            return None
        return self.string(schema, name, variant)

    def obj(self, schema: Mapping[str, Any], depth: int) -> dict[str, Any]:
        """Required properties only: an optional one can only add a reason to reject the request."""
        props = schema.get("properties") or {}
        out: dict[str, Any] = {}
        for key in schema.get("required") or ():
            sub = props.get(key, {}) if isinstance(props, Mapping) else {}
            if isinstance(sub, Mapping) and sub.get("readOnly") is True:
                continue  # the server sets it; sending it is at best ignored
            out[key] = self.value(sub, key, depth + 1, 0)
        return out

    def array(self, schema: Mapping[str, Any], name: str, depth: int) -> list[Any]:
        prefix = [s for s in schema.get("prefixItems") or () if isinstance(s, Mapping)]
        count = max(int(schema.get("minItems") or 0), 1, len(prefix))
        if isinstance(schema.get("maxItems"), int):
            count = min(count, schema["maxItems"])
        unique = schema.get("uniqueItems") is True
        items = schema.get("items") if isinstance(schema.get("items"), Mapping) else {}
        out: list[Any] = []
        for i in range(count):
            sub = prefix[i] if i < len(prefix) else items
            out.append(self.value(sub, name, depth + 1, i if unique else 0))
        return out

    def string(self, schema: Mapping[str, Any], name: str, variant: int) -> str:
        label = self.label(name, variant)
        fmt = schema.get("format")
        if isinstance(fmt, str) and (formatted := formatted_string(fmt, label)) is not None:
            return formatted
        pattern = schema.get("pattern")
        if isinstance(pattern, str):
            return pattern_string(pattern, label, schema.get("minLength"), schema.get("maxLength"))
        if kind_hint := _name_hint(name):
            return formatted_string(kind_hint, label) or label
        return fit_length(label, schema.get("minLength"), schema.get("maxLength"))

    def label(self, name: str, variant: int) -> str:
        base = f"{self.marker}-{name}" if name else self.marker
        return f"{base}-{variant}" if variant else base


def _name_hint(name: str) -> str | None:
    return next((fmt for rx, fmt in _NAME_HINTS if rx.search(name)), None) if name else None


def formatted_string(fmt: str, label: str) -> str | None:
    """A value of a string `format` (JSON Schema / OpenAPI / pydantic names); None for one not known."""
    slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-") or "probe"
    # example.com: reserved for documentation (RFC 2606) and accepted by `email_validator` (pydantic's
    # EmailStr), unlike the special-use `.test` / `.invalid`
    table = {
        "email": f"{slug}@example.com",
        "idn-email": f"{slug}@example.com",
        "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, label)),
        "date": "2030-01-15",
        "date-time": "2030-01-15T12:00:00Z",
        "time": "12:00:00Z",
        "duration": "P1D",
        "uri": f"https://example.com/{slug}",
        "url": f"https://example.com/{slug}",
        "iri": f"https://example.com/{slug}",
        "uri-reference": f"https://example.com/{slug}",
        "hostname": f"{slug[:60]}.example.com",
        "idn-hostname": f"{slug[:60]}.example.com",
        "ipv4": "192.0.2.10",  # TEST-NET-1 (RFC 5737)
        "ipv6": "2001:db8::10",  # documentation prefix (RFC 3849)
        "password": PASSWORD,
        "byte": base64.b64encode(label.encode()).decode(),
        "binary": label,
    }
    return table.get(fmt)


def fit_length(text: str, min_length: Any, max_length: Any) -> str:
    """Pad (with `x`) or cut a plain string to the schema's length bounds."""
    if isinstance(min_length, int) and len(text) < min_length:
        text += "x" * (min_length - len(text))
    if isinstance(max_length, int) and len(text) > max_length:
        text = text[: max(max_length, 0)]
    return text


def _length_ok(text: str, min_length: Any, max_length: Any) -> bool:
    return not (isinstance(min_length, int) and len(text) < min_length) and not (
        isinstance(max_length, int) and len(text) > max_length
    )


# -- numbers ------------------------------------------------------------------------------------


def _bounds(schema: Mapping[str, Any]) -> tuple[float | None, bool, float | None, bool]:
    """(low, low exclusive, high, high exclusive), for OpenAPI 3.0 boolean and 3.1 numeric exclusives."""
    low, high = schema.get("minimum"), schema.get("maximum")
    low_ex = high_ex = False
    ex_min, ex_max = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if ex_min is True:
        low_ex = True
    elif _is_num(ex_min) and (not _is_num(low) or ex_min >= low):
        low, low_ex = ex_min, True
    if ex_max is True:
        high_ex = True
    elif _is_num(ex_max) and (not _is_num(high) or ex_max <= high):
        high, high_ex = ex_max, True
    return (low if _is_num(low) else None), low_ex, (high if _is_num(high) else None), high_ex


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _allowed(v: float, schema: Mapping[str, Any]) -> bool:
    low, low_ex, high, high_ex = _bounds(schema)
    if low is not None and (v < low or (low_ex and v == low)):
        return False
    if high is not None and (v > high or (high_ex and v == high)):
        return False
    step = schema.get("multipleOf")
    if _is_num(step) and step > 0:
        q = v / step
        return abs(q - round(q)) < _TOLERANCE
    return True


def number(schema: Mapping[str, Any], integer: bool, variant: int = 0) -> int | float:
    """7 (7.5 for a number) when the bounds allow it, else the smallest allowed (the largest if no low bound)."""
    step = schema.get("multipleOf") if _is_num(schema.get("multipleOf")) and schema["multipleOf"] > 0 else None
    grid = step or (1 if integer else None)
    preferred = (7 if integer else 7.5) + variant * (grid or 1)
    if _allowed(preferred, schema):
        return preferred
    low, low_ex, high, high_ex = _bounds(schema)
    if grid is None:  # a number without a step: any point inside the bounds
        candidate = _inside(low, high) + variant
    elif low is not None:
        k = math.ceil(low / grid - _TOLERANCE)
        k += 1 if low_ex and abs(k * grid - low) < _TOLERANCE else 0
        candidate = (k + variant) * grid
    else:
        k = math.floor((high if high is not None else 0) / grid + _TOLERANCE)
        k -= 1 if high_ex and high is not None and abs(k * grid - high) < _TOLERANCE else 0
        candidate = (k - variant) * grid
    if integer and float(candidate).is_integer():
        return int(candidate)
    return candidate


def _inside(low: float | None, high: float | None) -> float:
    if low is not None and high is not None:
        return low if low == high else (low + high) / 2 if high - low < 2 else low + 1
    if low is not None:
        return low + 1
    return (high - 1) if high is not None else 0


# -- strings from a pattern ---------------------------------------------------------------------


class _Unsupported(Exception):
    """A regex construct the generator does not build (lookarounds, conditionals): the caller falls back."""


_CATEGORY_CHAR = {
    sre.CATEGORY_DIGIT: "5",
    sre.CATEGORY_NOT_DIGIT: "a",
    sre.CATEGORY_WORD: "a",
    sre.CATEGORY_NOT_WORD: "-",
    sre.CATEGORY_SPACE: " ",
    sre.CATEGORY_NOT_SPACE: "a",
}
_CANDIDATES = "a5A-_ .x@"  # tried in order against a negated class or `[^...]`


def pattern_string(pattern: str, label: str, min_length: Any = None, max_length: Any = None) -> str:
    """A string `pattern` matches (JSON Schema semantics: a search, not anchored), within the length bounds.

    The label itself when it already matches (an unanchored pattern often does), so the marker survives.
    Otherwise a string built from the parsed pattern, trying longer repetitions until the length fits.
    Unsupported constructs (lookarounds, conditionals, `\\p{..}`): the label, fitted to the lengths, which
    the service may reject; repair.py then reads what it wants.
    """
    try:
        rx = re.compile(pattern)
        parsed = sre_parse.parse(pattern)
    except (re.error, RecursionError, OverflowError):
        return fit_length(label, min_length, max_length)
    if rx.search(label) and _length_ok(label, min_length, max_length):
        return label
    for reps in (0, 1, 2, 4, 8, 16, 32, 64, 128):
        try:
            text = _Pattern(reps).build(parsed)
        except _Unsupported:
            break
        if rx.search(text) and _length_ok(text, min_length, max_length):
            return text
    return fit_length(label, min_length, max_length)


@dataclass(slots=True)
class _Pattern:
    reps: int  # how many times an open repetition (`*`, `+`, `{m,}`) repeats, at least its minimum
    groups: dict[int, str] = field(default_factory=dict)

    def build(self, parsed: Any) -> str:
        return "".join(self.node(op, av) for op, av in parsed)

    def node(self, op: Any, av: Any) -> str:
        if op is sre.LITERAL:
            return chr(av)
        if op is sre.NOT_LITERAL:
            return next(c for c in _CANDIDATES if ord(c) != av)
        if op is sre.ANY:
            return "a"
        if op is sre.IN:
            return _class_char(av)
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", None)):
            low, high, sub = av
            count = min(max(low, self.reps), high)
            return "".join(self.build(sub) for _ in range(count))
        if op is sre.SUBPATTERN:
            group, _add, _del, sub = av
            text = self.build(sub)
            if group is not None:
                self.groups[group] = text
            return text
        if op is sre.ATOMIC_GROUP:
            return self.build(av)
        if op is sre.BRANCH:
            return self.build(av[1][0])
        if op is sre.AT:
            return ""
        if op is sre.GROUPREF:
            return self.groups.get(av, "")
        raise _Unsupported(str(op))  # ASSERT, ASSERT_NOT, GROUPREF_EXISTS, ...


def _class_char(items: list[tuple[Any, Any]]) -> str:
    """A character of a class `[...]`: its first member, or for `[^...]` a candidate it does not exclude."""
    if items and items[0][0] is sre.NEGATE:
        rx = re.compile("[^" + "".join(_class_member(op, av) for op, av in items[1:]) + "]")
        found = next((c for c in _CANDIDATES if rx.match(c)), None)
        if found is None:
            raise _Unsupported("negated class")
        return found
    op, av = items[0]
    if op is sre.LITERAL:
        return chr(av)
    if op is sre.RANGE:
        return chr(av[0])
    if op is sre.CATEGORY and av in _CATEGORY_CHAR:
        return _CATEGORY_CHAR[av]
    raise _Unsupported(str(op))


_CATEGORY_ESCAPE = {
    sre.CATEGORY_DIGIT: r"\d",
    sre.CATEGORY_NOT_DIGIT: r"\D",
    sre.CATEGORY_WORD: r"\w",
    sre.CATEGORY_NOT_WORD: r"\W",
    sre.CATEGORY_SPACE: r"\s",
    sre.CATEGORY_NOT_SPACE: r"\S",
}


def _class_member(op: Any, av: Any) -> str:
    """One member of a parsed class back as regex text, to test candidates against a negated class."""
    if op is sre.LITERAL:
        return re.escape(chr(av))
    if op is sre.RANGE:
        return f"{re.escape(chr(av[0]))}-{re.escape(chr(av[1]))}"
    if op is sre.CATEGORY and av in _CATEGORY_ESCAPE:
        return _CATEGORY_ESCAPE[av]
    raise _Unsupported(str(op))


# -- requests -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Built:
    """One request's variable parts, as sent."""

    query: dict[str, str]
    headers: dict[str, str]
    cookies: dict[str, str]
    body: Any  # None when the operation takes none
    media: str  # content type the body is sent as
    path: dict[str, str] = field(default_factory=dict)  # path parameters, to fill the route template


def stringify(value: Any) -> str:
    """A value as it goes in a query string, header, cookie or form field."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ",".join(stringify(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return str(value)


def is_form(media: str) -> bool:
    return media.split(";")[0].strip().lower() in (FORM, MULTIPART)


def body_value(shape: RequestShape, marker: str = MARKER) -> Any:
    """The body to send; a form's is a flat dict of strings, an unknown JSON body an empty object."""
    if shape.body is None:
        return None
    value = example(shape.body, "", marker) if shape.body else {}
    if is_form(shape.media):
        return {k: stringify(v) for k, v in value.items()} if isinstance(value, dict) else {}
    return value


def build(shape: RequestShape, path_params: Mapping[str, Any] | None = None, marker: str = MARKER) -> Built:
    """Every required parameter and the body of one legitimate request; optional parameters stay out."""
    given = path_params or {}
    parts: dict[str, dict[str, str]] = {"path": {}, "query": {}, "header": {}, "cookie": {}}
    for p in shape.params:
        if not p.required:
            continue
        value = given[p.name] if p.location == "path" and p.name in given else example(p.schema, p.name, marker)
        parts[p.location][p.name] = stringify(value)
    return Built(
        query=parts["query"],
        headers=parts["header"],
        cookies=parts["cookie"],
        body=body_value(shape, marker),
        media=shape.media,
        path=parts["path"],
    )


# -- validation ---------------------------------------------------------------------------------

_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SCHEMA_ONE = (
    "items",
    "additionalProperties",
    "not",
    "contains",
    "propertyNames",
    "if",
    "then",
    "else",
    "unevaluatedItems",
    "unevaluatedProperties",
    "additionalItems",
)
_NOT_JSON_SCHEMA = ("example", "nullable", "discriminator", "xml", "externalDocs", "readOnly", "writeOnly")


def to_json_schema(schema: Any) -> Any:
    """OpenAPI 3.0 / Swagger keywords to JSON Schema 2020-12: `nullable`, boolean exclusive bounds, `example`."""
    if not isinstance(schema, Mapping):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _SCHEMA_MAPS and isinstance(value, Mapping):
            out[key] = {k: to_json_schema(v) for k, v in value.items()}
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            out[key] = [to_json_schema(v) for v in value]
        elif key in _SCHEMA_ONE:
            out[key] = [to_json_schema(v) for v in value] if isinstance(value, list) else to_json_schema(value)
        elif key not in _NOT_JSON_SCHEMA:
            out[key] = value
    for bound, edge in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(out.get(bound), bool):  # 3.0: a flag on minimum/maximum; 2020-12: the bound itself
            flag = out.pop(bound)
            if flag and edge in out:
                out[bound] = out.pop(edge)
    read_only = [k for k, v in (schema.get("properties") or {}).items() if isinstance(v, Mapping) and v.get("readOnly")]
    if read_only and isinstance(out.get("required"), list):  # OpenAPI: required in responses only
        out["required"] = [k for k in out["required"] if k not in read_only]
    if isinstance(out.get("items"), list):  # draft 4 tuple form
        out["prefixItems"] = out.pop("items")
    if schema.get("nullable") is True:
        return {"anyOf": [out, _NULL]}
    return out


def _format_checker() -> FormatChecker:
    return FormatChecker(formats=[f for f in _CHECKED_FORMATS if f in FormatChecker.checkers])


def errors(schema: Mapping[str, Any], value: Any) -> list[str]:
    """Why `value` does not conform to `schema`, one line each (`$.user.email: ...`); [] when it does."""
    try:
        validator = Draft202012Validator(to_json_schema(schema), format_checker=_format_checker())
        found = sorted((e.json_path, e.message) for e in validator.iter_errors(value))
    except Exception as exc:  # a schema jsonschema cannot use is a reason too, not a crash
        return [f"$: schema not usable for validation ({type(exc).__name__})"]
    return [f"{path}: {message}"[:MAX_ERROR] for path, message in found]


# -- privilege ----------------------------------------------------------------------------------


def _choices(schema: Any, depth: int = 0) -> list[Any]:
    """The values an enum / Literal / const allows, through `allOf`/`anyOf`/`oneOf` wrappers."""
    if not isinstance(schema, Mapping) or depth > MAX_DEPTH:
        return []
    values = [*(schema.get("enum") or ()), *([schema["const"]] if "const" in schema else [])]
    for key in ("allOf", "anyOf", "oneOf"):
        for part in schema.get(key) or ():
            values += _choices(part, depth + 1)
    return [v for v in values if v is not None]


def privileged(schema: Mapping[str, Any]) -> Any | None:
    """The most privileged value a role-like field allows (mass assignment probes ask for it), or None.

    Strings by a preference list (`superadmin` before `admin` before `editor`), numbers the largest,
    a boolean True; an array of such values: a one-item list of it.
    """
    choices = _choices(schema)
    if not choices:
        if "boolean" in _types(schema):
            return True
        items = schema.get("items") if "array" in _types(schema) else None
        inner = privileged(items) if isinstance(items, Mapping) else None
        return [inner] if inner is not None else None
    if any(v is True for v in choices):
        return True
    numbers = [v for v in choices if _is_num(v)]
    if numbers:
        return max(numbers)
    strings = [v for v in choices if isinstance(v, str)]
    for word in _PRIVILEGES:
        hit = next((s for s in strings if word in s.lower()), None)
        if hit is not None:
            return hit
    return None
