"""The configuration reference in the README, made from the pydantic models (never written by hand).

`authgate schema --markdown` prints it; tests/test_docs.py checks the README carries exactly this.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from gate.config import Config


def _models(annotation: Any) -> tuple[str, type[BaseModel]] | None:
    """(suffix, model) when a field holds a model: `x`, `x[]` (list), `x.<name>` (dict)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "", annotation
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return _models(inner[0]) if len(inner) == 1 else None
    if origin is list and args:
        found = _models(args[0])
        return ("[]" + found[0], found[1]) if found else None
    if origin is dict and len(args) == 2:
        found = _models(args[1])
        return (".<name>" + found[0], found[1]) if found else None
    return None


def _type(annotation: Any) -> str:
    text = str(annotation).replace("typing.", "")
    if isinstance(annotation, type):
        text = annotation.__name__
    return text.replace("NoneType", "None").replace("gate.config.", "").replace("gate.findings.", "")


def _default(field: Any) -> str:
    if field.is_required():
        return "required"
    if field.default_factory is not None:
        value = field.default_factory()
        return "" if isinstance(value, BaseModel) else f"`{value!r}`"
    if field.default is PydanticUndefined or field.default is None:
        return ""
    value = getattr(field.default, "value", field.default)  # enums by their value
    return f"`{value!r}`"


def rows(model: type[BaseModel] = Config, prefix: str = "") -> Iterator[tuple[str, str, str, str]]:
    """(key path, type, default, description) of every key, depth first in declaration order."""
    for attr, field in model.model_fields.items():
        name = field.alias or attr
        path = f"{prefix}{name}"
        nested = _models(field.annotation)
        description = " ".join((field.description or "").split())
        if nested is None:
            yield path, _type(field.annotation), _default(field), description
            continue
        suffix, sub = nested
        yield (
            path,
            ("list" if suffix.startswith("[]") else "map" if suffix else "section"),
            _default(field),
            (description or " ".join((sub.__doc__ or "").split())),
        )
        yield from rows(sub, f"{path}{suffix}.")


def reference_markdown() -> str:
    out = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for path, typ, default, description in rows():
        cell = description.replace("|", "\\|")
        out.append(f"| `{path}` | {typ.replace('|', 'or')} | {default.replace('|', 'or')} | {cell} |")
    return "\n".join(out) + "\n"
