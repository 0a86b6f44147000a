"""Bad input is one clear line and exit 2 ("could not scan"), never a traceback."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from gate import cli
from gate.config import MAX_CONFIG_BYTES, ConfigError, load_config, parse_config
from gate.dynamo import fixtures, local, tables
from gate.dynamo.client import dynamodb_client
from gate.errors import ScanError
from gate.target import openapi
from tests.conftest import run_cli


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "spec.yaml",
            "paths:\n  /x: [\n::error::pwned\n",
            "openapi: spec.yaml is neither valid JSON nor valid YAML (line 3",
        ),
        ("spec.json", '{"paths": {"/x": ', "openapi: spec.json is not valid JSON (line 1, column 18)"),
        ("spec.json", '{"paths": {"/x": {"get": {"parameters": [42]}}}}', "openapi: spec.json is malformed (TypeError"),
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


BAD_CONFIGS = [
    (
        b"version: 1\n? [a, b]\n: 1\n",
        "(top level): a key must be a plain value, not a list or mapping (line 2",
    ),
    (b"version: 1\nservice: \xff\xfe\n", "not UTF-8 text (byte 21 cannot be decoded)"),
    (b"version: 1\nx: " + b"[" * 5000 + b"]" * 5000 + b"\n", "nested too deeply (more than 64 levels)"),
    (b"version: 1\ngate: {threshold: " + b"7" * 5000 + b"}\n", "gate.threshold: not a valid int (ValueError)"),
    (b"version: 1\nfixtures: [{item: {t: 2020-13-45}}]\n", "fixtures.0.item.t: not a valid timestamp (ValueError)"),
    (b"version: 1\ngate: {threshold: !!float nope}\n", "gate.threshold: not a valid float (ValueError)"),
    (b"version: 1\ngate: {baseline: !!bool maybe}\n", "gate.baseline: not a valid bool (KeyError)"),
    (b"version: 1\ngate: {baseline: !!python/name:os.system x}\n", "gate.baseline: could not determine a constructor"),
    (b"a: &a [x, x]\nb: &b [*a, *a]\n", "YAML error at line 2, column 8: YAML aliases (*name) are not allowed"),
    (b"version: 1\n? " + b"k" * 100_000 + b"\n: 1\n", "k" * 59 + "…: unknown key"),
    (b'version: 1\n"x\\ny": 1\n', "x\\x0ay: unknown key (not in the authgate config schema)"),
]


@pytest.mark.parametrize(("data", "expected"), BAD_CONFIGS)
def test_a_config_pyyaml_cannot_build_is_one_config_error_line(tmp_path: Path, data: bytes, expected: str) -> None:
    (tmp_path / ".authgate.yml").write_bytes(data)
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path / ".authgate.yml")
    assert any(expected in p for p in err.value.problems), err.value.problems
    assert all(len(p) <= 300 and "\n" not in p for p in err.value.problems)


def test_a_config_that_is_no_regular_file_or_too_big_is_refused_unread(tmp_path: Path) -> None:
    zero = tmp_path / "zero.yml"
    zero.symlink_to("/dev/zero")  # read whole, it was a MemoryError
    fifo = tmp_path / "fifo.yml"
    os.mkfifo(fifo)  # read whole, it would block forever
    big = tmp_path / "big.yml"
    big.write_bytes(b"#" * (MAX_CONFIG_BYTES + 1))
    for path, expected in [
        (zero, "cannot read: a symbolic link"),
        (fifo, "not a regular file"),
        (big, "larger than 1024 KiB: not read"),
    ]:
        with pytest.raises(ConfigError, match=expected):
            load_config(path)


@pytest.mark.parametrize(("name", "data"), [("key", BAD_CONFIGS[0][0]), ("utf8", BAD_CONFIGS[1][0])])
def test_the_cli_says_a_bad_config_in_one_line_and_writes_an_error_report(
    tmp_path: Path, name: str, data: bytes
) -> None:
    (tmp_path / ".authgate.yml").write_bytes(data)
    out = tmp_path / "r.json"
    out.write_text('{"verdict": "pass"}')
    p = run_cli("scan", str(tmp_path), "--output", str(out))
    lines = [ln for ln in (p.stdout + p.stderr).splitlines() if ln.startswith("authgate:")]
    assert p.returncode == 2 and len(lines) == 1 and "Traceback" not in p.stderr, p.stdout + p.stderr
    report = json.loads(out.read_text())
    assert (report["verdict"], report["threshold"]) == ("error", 80)
    assert report["reasons"] == ["config: " + lines[0].removeprefix("authgate: config: ")]
