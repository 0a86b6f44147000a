"""The template-level static checks: each at its file and line, none on the fixed twin."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path
from types import SimpleNamespace

from gate.checks.static import RULES, lambda_event_logging, templates
from gate.checks.static.source import SourceFile
from tests.conftest import EXAMPLES
from tests.serverless.conftest import config


def template_findings(root: Path, template: str = "template.yaml", **service: object) -> list:
    ctx = SimpleNamespace(cfg=config(template, **service), root=root, notes=[], excluded=set())
    return templates.findings(ctx, RULES)  # type: ignore[arg-type]


def at(root: Path, f) -> str:  # type: ignore[no-untyped-def]
    return (root / f.file).read_text().splitlines()[f.line - 1].strip()


def test_the_vulnerable_templates_flaws_each_at_its_line() -> None:
    root = EXAMPLES / "notes-sam"
    got = {f.check: f for f in template_findings(root, parameters={"Stage": "test"})}
    assert set(got) == {"static.template-secret-parameter", "static.template-wildcard-policy"}
    assert at(root, got["static.template-secret-parameter"]) == "Default: dev-share-secret"
    assert at(root, got["static.template-wildcard-policy"]) == "- Effect: Allow"
    assert got["static.template-wildcard-policy"].evidence.code["excerpt"] == "- Effect: Allow"
    assert "ListNotes" in got["static.template-wildcard-policy"].message


def test_the_fixed_template_has_none() -> None:
    assert template_findings(EXAMPLES / "notes-sam-fixed", parameters={"Stage": "test", "ShareLinkSecret": "x"}) == []


def test_no_echo_missing_open_writes_managed_full_access_and_iam_roles(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "template.yaml").write_text(
        textwrap.dedent(
            """\
            Transform: AWS::Serverless-2016-10-31
            Parameters:
              DbPassword: {Type: String}
              TableParam: {Type: String, Default: things}
              ApiKeyName: {Type: "AWS::SSM::Parameter::Value<String>", Default: /app/key}
            Resources:
              Writer:
                Type: AWS::Serverless::Function
                Properties:
                  CodeUri: src/
                  Handler: app.handler
                  Policies: [AmazonDynamoDBFullAccess]
                  Events:
                    Put: {Type: HttpApi, Properties: {Path: /things, Method: PUT}}
                    Login: {Type: HttpApi, Properties: {Path: /login, Method: POST}}
              Role:
                Type: AWS::IAM::Role
                Properties:
                  Policies:
                    - PolicyName: p
                      PolicyDocument:
                        Statement:
                          - {Effect: Allow, Action: [dynamodb:GetItem, dynamodb:Query], Resource: "*"}
            """
        )
    )
    got = sorted((f.check, f.line, f.route) for f in template_findings(tmp_path))
    assert got == [
        ("static.template-open-write", 14, "/things"),  # the login route is meant to be anonymous
        ("static.template-secret-parameter", 3, ""),  # no NoEcho
        ("static.template-wildcard-policy", 12, ""),  # the managed full-access policy
        ("static.template-wildcard-policy", 23, ""),  # DynamoDB actions on every table
    ]


def source(text: str) -> SourceFile:
    text = textwrap.dedent(text)
    return SourceFile.of(text, ast.parse(text), "h.py")


def test_a_lambda_handler_logging_its_whole_event() -> None:
    src = source(
        """\
        import json, logging
        log = logging.getLogger()
        def handler(event, context):
            print(json.dumps(event))
            log.info("got %s", event)
            print(f"event: {event}")
            print(event["routeKey"])
            log.info("route %s", event.get("routeKey"))
        def helper(event):
            print(event)
        """
    )
    assert [h.line for h in lambda_event_logging.check(src)] == [4, 5, 6]


def test_jwt_unverified_is_a_note_on_an_authorized_function() -> None:
    ctx = SimpleNamespace(cfg=config("template.yaml", parameters={"Stage": "test"}), root=EXAMPLES / "notes-sam")
    assert templates.authorized_files(ctx) == {"profiles/app.py"}  # src/notes.py serves the open /recent too
