"""Bad input is one clear line and exit 2 ("could not scan"), never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gate import cli
from gate.config import parse_config
from gate.dynamo import fixtures, local, tables
from gate.dynamo.client import dynamodb_client
from gate.errors import ScanError
from gate.target import openapi


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "spec.yaml",
            "paths:\n  /x: [\n::error::pwned\n",
            "openapi: spec.yaml is neither valid JSON nor valid YAML (line 3",
        ),
        ("spec.json", '{"paths": {"/x": ', "openapi: spec.json is not valid JSON (line 1, column 18)"),
        ("spec.json", '{"paths": {"/x": {"get": {"parameters": [42]}}}}', "openapi: spec.json is malformed (Attr"),
        (
            "spec.json",
            '{"paths": {"/x": {"put": {"requestBody": {"content": {"a/b": 1}}}}}}',
            "openapi: spec.json is mal",
        ),
        ("spec.json", "[1, 2]", "openapi: spec.json has no `paths`: not an OpenAPI document"),
    ],
)
def test_a_broken_openapi_file_names_the_place_not_the_content(
    tmp_path: Path, name: str, text: str, expected: str
) -> None:
    (tmp_path / name).write_text(text)
    with pytest.raises(ScanError) as err:
        openapi.load(name, tmp_path, None)
    assert err.value.message.startswith(expected), err.value.message
    assert "::" not in err.value.message  # nothing of the file's text is echoed (no workflow command)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Resources:\n  T:\n    Type: AWS::DynamoDB::Table\n    Properties: {TableName: t}\n", "missing 'KeySchema'"),
        ("Resources:\n  T:\n    Type: AWS::DynamoDB::Table\n    Properties: {KeySchema: 5}\n", "TypeError"),
        ("Resources: [\n", "template.yml is not valid YAML (line 2"),
    ],
)
def test_a_broken_template_is_a_scan_error(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "template.yml").write_text(text)
    with pytest.raises(ScanError, match=r"dynamodb\.template") as err:
        tables.tables_from_template(tmp_path / "template.yml")
    assert expected in err.value.message


def test_a_fixture_dynamodb_refuses_names_the_fixture(dynamo: local.DynamoLocal) -> None:
    cfg = parse_config(
        {
            "version": 1,
            "service": {"url": "http://127.0.0.1:9"},
            "dynamodb": {"tables": [{"name": "badfix", "key": {"pk": "S"}}]},
            "identities": {"alice": {"sub": "alice"}, "bob": {"sub": "bob"}},
            "fixtures": [{"table": "badfix", "owner": "alice", "item": {"pk": "alice", "n": float("nan")}}],
        }
    )
    client = dynamodb_client(dynamo.endpoint)
    tables.create_tables(client, cfg.dynamodb.tables)
    with pytest.raises(ScanError, match=r"fixtures\[0\] \(table badfix\): DynamoDB refused the item: "):
        fixtures.write_fixtures(client, cfg.dynamodb.tables, cfg.fixtures)


def test_a_bug_of_the_gate_is_an_error_report_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import gate.scan

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(gate.scan, "scan", broken)
    monkeypatch.delenv("AUTHGATE_DEBUG", raising=False)
    config = "version: 1\nservice: {url: 'http://127.0.0.1:9'}\nidentities: {a: {sub: a}, b: {sub: b}}\n"
    (tmp_path / ".authgate.yml").write_text(config)
    out = tmp_path / "r.json"
    assert cli.main(["scan", str(tmp_path), "--output", str(out)]) == 2
    err = capsys.readouterr().err
    assert "internal error of authgate: RuntimeError: boom" in err and "Traceback" not in err
    report = json.loads(out.read_text())
    assert (report["verdict"], report["complete"]) == ("error", False)
