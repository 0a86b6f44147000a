"""Config errors: one clear line per problem naming the key path, exit 2, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.config import ConfigError, config_schema, load_config, parse_config
from tests.conftest import run_cli

VALID = {
    "version": 1,
    "service": {"command": "uvicorn app:app --port {port}"},
    "identities": {"alice": {"sub": "alice"}, "bob": {"sub": "bob"}},
}


def _problems(data: dict) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        parse_config(data)
    return exc.value.problems


def test_valid_minimal_config_parses() -> None:
    cfg = parse_config(VALID)
    assert cfg.gate.threshold == 80 and cfg.service.ready == "/openapi.json"


def test_missing_field_names_the_key_path() -> None:
    data = {**VALID, "identities": {"alice": {"sub": "alice"}, "bob": {"email": "b@x"}}}
    assert _problems(data) == ["identities.bob.sub: Field required"]


def test_unknown_key_is_an_error_naming_it() -> None:
    data = {**VALID, "gate": {"treshold": 70}}
    assert _problems(data) == ["gate.treshold: unknown key (not in the authgate config schema)"]


def test_cross_reference_problems_are_listed_one_per_line() -> None:
    data = {
        **VALID,
        "dynamodb": {"tables": [{"name": "profiles", "key": {"user_id": "S"}}]},
        "fixtures": [{"table": "profiles", "owner": "carol", "item": {"display_name": "x"}}],
    }
    problems = _problems(data)
    assert "fixtures.0.owner: unknown identity 'carol'" in problems
    assert "fixtures.0.item: missing key attribute user_id" in problems


def test_command_needs_port_placeholder() -> None:
    data = {**VALID, "service": {"command": "uvicorn app:app"}}
    assert _problems(data) == ["service: service.command must contain {port}: the gate picks a free port"]


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    p = tmp_path / ".authgate.yml"
    p.write_text("version: 1\nservice:\n  command: [unclosed\n")
    with pytest.raises(ConfigError) as exc:
        load_config(p)
    assert "YAML error at line" in exc.value.problems[0]


def test_cli_exits_2_with_one_line_per_problem_and_no_traceback(tmp_path: Path) -> None:
    (tmp_path / ".authgate.yml").write_text(
        "version: 1\nservice: {command: 'x {port}'}\nidentities: {alice: {sub: a}, bob: {email: b}}\n"
        "gate: {threshold: 150}\n"
    )
    p = run_cli("scan", str(tmp_path))
    assert p.returncode == 2
    assert "Traceback" not in p.stderr
    assert "authgate: config: identities.bob.sub: Field required" in p.stderr
    assert "authgate: config: gate.threshold: Input should be less than or equal to 100" in p.stderr


def test_schema_command_prints_the_config_schema() -> None:
    p = run_cli("schema")
    assert p.returncode == 0
    assert '"identities"' in p.stdout and '"additionalProperties": false' in p.stdout
    assert config_schema()["properties"]["version"]["const"] == 1
