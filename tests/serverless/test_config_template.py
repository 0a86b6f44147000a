"""`service.template` in the config: no command needed, one way to run the service, bad templates exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.config import ConfigError, parse_config
from tests.conftest import run_cli

IDENTITIES = {"alice": {"sub": "alice"}, "bob": {"sub": "bob"}}


def test_a_template_needs_no_command() -> None:
    cfg = parse_config(
        {"version": 1, "service": {"template": "t.yaml", "parameters": {"Stage": "x"}}, "identities": IDENTITIES}
    )
    assert cfg.service.template == "t.yaml" and cfg.service.parameters == {"Stage": "x"} and cfg.service.command is None


@pytest.mark.parametrize(
    ("service", "problem"),
    [
        ({}, "give service.command (the gate starts it), service.url (already running) or service.template"),
        ({"template": "t.yaml", "command": "x --port {port}"}, "not command and template"),
        ({"template": "t.yaml", "parameters": {"Stage": ["a"]}}, "service.parameters.Stage"),
    ],
)
def test_service_problems_are_one_line(service: dict, problem: str) -> None:
    with pytest.raises(ConfigError) as exc:
        parse_config({"version": 1, "service": service, "identities": IDENTITIES})
    assert any(problem in p for p in exc.value.problems), exc.value.problems


def test_a_broken_template_is_exit_2_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    (tmp_path / ".authgate.yml").write_text("version: 1\nservice: {template: template.yaml}\n"
                                            "identities: {alice: {sub: a}, bob: {sub: b}}\n")  # fmt: skip
    (tmp_path / "template.yaml").write_text(
        "Resources:\n  F: {Type: AWS::Serverless::Function, Properties: {Handler: x}}\n"
    )
    p = run_cli("scan", str(tmp_path), "--output", str(tmp_path / "r.json"))
    assert p.returncode == 2
    assert "Handler must be `module.function`" in p.stdout + p.stderr
    assert "Traceback" not in p.stdout + p.stderr


def test_a_function_that_cannot_import_is_exit_2_naming_it(tmp_path: Path) -> None:
    (tmp_path / ".authgate.yml").write_text("version: 1\nservice: {template: template.yaml}\n"
                                            "identities: {alice: {sub: a}, bob: {sub: b}}\n")  # fmt: skip
    (tmp_path / "template.yaml").write_text(
        "Resources:\n  Broken:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: app.handler\n"
        "      Events: {E: {Type: HttpApi, Properties: {Path: /x, Method: GET}}}\n"
    )
    (tmp_path / "app.py").write_text("import no_such_module_anywhere\n")
    p = run_cli("scan", str(tmp_path), "--output", str(tmp_path / "r.json"))
    out = p.stdout + p.stderr
    assert p.returncode == 2 and "function Broken (app.handler) failed to start" in out
    assert (
        "no_such_module_anywhere" in out and "Traceback (most recent call last)" not in out.split("failed to start")[0]
    )
