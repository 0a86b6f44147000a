"""GitHub's own REST description (npm `@octokit/openapi`), loaded once per session.

Every request the fake receives is validated against it with `openapi-core` (path, method, query
and body), and every answer the fake gives is validated too, so the fake cannot drift from what
GitHub accepts and returns. The examples in the description are the templates of the answers.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from openapi_core import Config, OpenAPI
from openapi_core.protocols import Request
from openapi_core.testing import MockRequest, MockResponse

ROOT = Path(__file__).resolve().parents[2]
DESCRIPTION = ROOT / "node_modules/@octokit/openapi/generated/api.github.com.json"
HOST = "https://api.github.com"  # the server URL in the description


class DescriptionMissing(RuntimeError):
    pass


@lru_cache(maxsize=1)
def _loaded() -> tuple[dict[str, Any], OpenAPI]:
    if not DESCRIPTION.exists():
        raise DescriptionMissing(f"{DESCRIPTION} is missing: run scripts/install-test-tools (make test does)")
    spec = json.loads(DESCRIPTION.read_text(encoding="utf-8"))
    # The description is GitHub's: validating the description itself would only cost time.
    api = OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None))
    return spec, api


def example(name: str) -> Any:
    """A deep copy of `components.examples[name].value`: a real answer GitHub documents."""
    spec, _ = _loaded()
    return copy.deepcopy(spec["components"]["examples"][name]["value"])


def _request(method: str, path: str, query: str, body: bytes, content_type: str) -> Request:
    return MockRequest(
        HOST,
        method.lower(),
        path,
        args=_query_args(query),
        data=body or None,
        content_type=content_type or "application/json",
    )


def _query_args(query: str) -> dict[str, str]:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(query, keep_blank_values=True))


def _errors(exc: Exception) -> str:
    parts = [str(exc)]
    inner = getattr(exc, "__cause__", None)
    for e in getattr(inner, "schema_errors", None) or getattr(exc, "schema_errors", None) or []:
        parts.append(getattr(e, "message", str(e)))
    return " | ".join(parts)[:2000]


def validate_request(method: str, path: str, query: str, body: bytes, content_type: str) -> str | None:
    """None when GitHub's description accepts the request, else why not."""
    _, api = _loaded()
    try:
        api.validate_request(_request(method, path, query, body, content_type))
    except Exception as exc:  # openapi-core raises a family of validation errors
        return _errors(exc)
    return None


def validate_response(
    method: str, path: str, query: str, body: bytes, content_type: str, status: int, answer: bytes
) -> str | None:
    """None when the answer matches what the description says GitHub answers. An error status the
    description leaves out (GitHub answers 403 to a read-only token on many writes it does not list
    a 403 for) is accepted as long as it is GitHub's error shape."""
    _, api = _loaded()
    if status >= 400:
        error = json.loads(answer or b"{}")
        if not isinstance(error, dict) or not isinstance(error.get("message"), str):
            return f"an error answer without GitHub's {{message, documentation_url}} shape: {answer[:200]!r}"
    try:
        api.validate_response(
            _request(method, path, query, body, content_type),
            MockResponse(answer, status_code=status, content_type="application/json"),
        )
    except Exception as exc:
        if status >= 400 and "Unknown response http status" in str(exc):
            return None
        return _errors(exc)
    return None
