"""Conversion between plain JSON-ish values and DynamoDB's typed attribute values."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

_ser = TypeSerializer()
_de = TypeDeserializer()


def _decimalize(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _decimalize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decimalize(v) for v in value]
    return value


def to_typed(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _ser.serialize(_decimalize(v)) for k, v in item.items()}


def plain(value: Any) -> Any:
    """JSON-friendly value of a deserialized attribute (Decimal -> int/float, sets -> sorted lists)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(plain(v) for v in value)
    if isinstance(value, bytes | bytearray):
        return value.hex()
    if hasattr(value, "value") and isinstance(value.value, bytes | bytearray):  # boto3 Binary
        return value.value.hex()
    return value


def from_typed(item: dict[str, Any]) -> dict[str, Any]:
    return {k: plain(_de.deserialize(v)) for k, v in item.items()}
