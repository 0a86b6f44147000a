"""CloudFormation and SAM templates: read with cfn-flip's loader, intrinsic functions resolved.

cfn-flip (`cfn_tools.load_yaml`, AWS's own CloudFormation YAML/JSON reader) turns the short tags
(`!Sub`, `!Ref`, `!Join`, `!GetAtt`, ...) into their long form (`{"Fn::Sub": ...}`); no library
evaluates them outside CloudFormation, so `resolve` does what a deployment would for the values a
scan needs (table names, environment variables): `Ref` to a parameter (the config's value, else its
`Default`) or a pseudo parameter, `Fn::Sub` in both forms, `Fn::Join`, `Fn::Select`, `Fn::If` on a
condition it can tell, `Fn::FindInMap`. Anything else (`Fn::GetAtt`, a `Ref` to a resource, an
import) stays unresolved: `resolve` gives None for it, and callers say what they could not resolve.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from cfn_tools import load_yaml

from gate.errors import ScanError

PSEUDO = {
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "AWS::StackName": "authgate",
    "AWS::StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/authgate/00000000",
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::NoValue": None,
}
_SUB = re.compile(r"\$\{([^}!][^}]*)\}")
MAX_TEMPLATE = 4 << 20


def load(path: Path, what: str = "template") -> dict[str, Any]:
    """The template as plain data (long-form intrinsic functions); ScanError naming the place when it is not."""
    try:
        if path.stat().st_size > MAX_TEMPLATE:
            raise ScanError(f"{what}: {path.name} is larger than {MAX_TEMPLATE >> 20} MiB: not read")
        doc = load_yaml(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScanError(f"{what}: cannot read {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise ScanError(f"{what}: {path.name} is not valid YAML{where}") from None
    except (ValueError, TypeError) as exc:
        raise ScanError(f"{what}: {path.name} is not a CloudFormation template ({type(exc).__name__})") from None
    if not isinstance(doc, dict):
        raise ScanError(f"{what}: {path.name} is not a CloudFormation template (no mapping at the top)")
    return _plain(doc)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class Resolver:
    """Evaluates intrinsic functions against the template's parameters (overridden by `parameters`)."""

    def __init__(self, doc: dict[str, Any], parameters: dict[str, Any] | None = None, stand_ins: bool = False) -> None:
        self.doc = doc
        # stand_ins: a Ref to any other resource gives a stable stand-in for its physical id (a user pool's
        # `us-east-1_UserPool`), where the caller only needs the same value everywhere (a JWT issuer)
        self.stand_ins = stand_ins
        params = doc.get("Parameters") if isinstance(doc.get("Parameters"), dict) else {}
        self.values: dict[str, Any] = {
            k: (v or {}).get("Default") for k, v in params.items() if isinstance(v, dict)
        } | dict(parameters or {})

    def resolve(self, value: Any, depth: int = 0) -> Any:
        """The plain value of `value`, or None where it depends on something only a deployment knows."""
        if depth > 30:
            return None
        if isinstance(value, list):
            return [self.resolve(v, depth + 1) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) != 1:
            return {k: self.resolve(v, depth + 1) for k, v in value.items()}
        ((fn, arg),) = value.items()
        if fn == "Ref" or fn.startswith("Fn::"):
            return self._function(fn, arg, depth)
        return {fn: self.resolve(arg, depth + 1)}

    def _function(self, fn: str, arg: Any, depth: int) -> Any:
        if fn == "Ref":
            return self._ref(str(arg))
        if fn == "Fn::Sub":
            text, extra = (arg[0], arg[1] if len(arg) > 1 else {}) if isinstance(arg, list) else (arg, {})
            return self._sub(text, {k: self.resolve(v, depth + 1) for k, v in (extra or {}).items()})
        if fn == "Fn::Join" and isinstance(arg, list) and len(arg) == 2:
            parts = self.resolve(arg[1], depth + 1)
            ok = isinstance(parts, list) and all(isinstance(p, str | int | float) for p in parts)
            return str(arg[0]).join(str(p) for p in parts) if ok else None
        if fn == "Fn::Select" and isinstance(arg, list) and len(arg) == 2:
            items = self.resolve(arg[1], depth + 1)
            index = self.resolve(arg[0], depth + 1)
            ok = isinstance(items, list) and str(index).isdigit() and int(index) < len(items)
            return items[int(index)] if ok else None
        if fn == "Fn::If" and isinstance(arg, list) and len(arg) == 3:
            cond = self._condition(str(arg[0]), depth)
            return None if cond is None else self.resolve(arg[1] if cond else arg[2], depth + 1)
        if fn == "Fn::FindInMap" and isinstance(arg, list) and len(arg) == 3:
            keys = [self.resolve(a, depth + 1) for a in arg]
            node: Any = self.doc.get("Mappings") or {}
            for k in keys:
                node = node.get(str(k)) if isinstance(node, dict) else None
            return node
        return None  # Fn::GetAtt, Fn::ImportValue, ...: only a deployment knows

    def _ref(self, name: str) -> Any:
        if name in self.values:
            return self.values[name]
        if name in PSEUDO:
            return PSEUDO[name]
        resources = self.doc.get("Resources") or {}
        res = resources.get(name) if isinstance(resources, dict) else None
        if isinstance(res, dict):  # a table's Ref is its name: TableName, else the one CloudFormation makes
            props = res.get("Properties") or {}
            if str(res.get("Type")) in ("AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable"):
                return self.resolve(props.get("TableName")) if props.get("TableName") is not None else name
            if self.stand_ins:
                return f"{PSEUDO['AWS::Region']}_{name}" if res.get("Type") == "AWS::Cognito::UserPool" else name
        return None

    def _sub(self, text: Any, extra: dict[str, Any]) -> str | None:
        if not isinstance(text, str):
            return None
        missing = False

        def one(m: re.Match[str]) -> str:
            nonlocal missing
            name = m.group(1).strip()
            got = extra[name] if name in extra else self._ref(name)
            if got is None or isinstance(got, dict | list):
                missing = True
                return ""
            return str(got)

        out = _SUB.sub(one, text).replace("${!", "${")
        return None if missing else out

    def _condition(self, name: str, depth: int) -> bool | None:
        return self._truth((self.doc.get("Conditions") or {}).get(name), depth + 1)

    def _truth(self, expr: Any, depth: int) -> bool | None:
        """A condition expression's value (Fn::Equals, Fn::Not, Fn::And, Fn::Or, Condition), None if unknown."""
        if depth > 30 or not isinstance(expr, dict) or len(expr) != 1:
            return None
        ((fn, arg),) = expr.items()
        if fn == "Condition":
            return self._condition(str(arg), depth)
        if fn == "Fn::Equals" and isinstance(arg, list) and len(arg) == 2:
            a, b = (self.resolve(x, depth + 1) for x in arg)
            return None if a is None or b is None else str(a) == str(b)
        parts = [self._truth(x, depth + 1) for x in arg] if isinstance(arg, list) else []
        if None in parts or not parts:
            return None
        if fn == "Fn::Not":
            return not parts[0]
        if fn == "Fn::And":
            return all(parts)
        if fn == "Fn::Or":
            return any(parts)
        return None
