"""SAM/CloudFormation, Serverless Framework and Chalice projects read into functions, routes and authorizers."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.errors import ScanError
from gate.serverless import project
from tests.conftest import EXAMPLES
from tests.serverless.conftest import SLS_APPS, config


def test_sam_http_api_default_authorizer_opt_out_globals_and_resolved_names() -> None:
    app = project.load(config("template.yaml", parameters={"Stage": "test"}), EXAMPLES / "notes-sam")
    routes = {r.key: r for r in app.routes}
    assert set(routes) == {
        "GET /notes/{note_id}", "GET /notes", "POST /notes", "GET /recent", "ANY /profiles/{proxy+}",
    }  # fmt: skip
    jwt = routes["GET /notes"].authorizer
    assert jwt is not None and jwt.kind == "jwt"
    assert jwt.issuer == "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Users" and jwt.audience == (
        "WebClient",
    )
    assert routes["GET /recent"].authorizer is None  # Auth: Authorizer: NONE
    assert all(r.api == "http" and r.payload == "2.0" for r in app.routes)
    fn = app.functions["GetNote"]
    assert (fn.handler, fn.code, fn.timeout, fn.memory) == ("notes.get_note", "src/", 5.0, 256)
    assert fn.env == {"NOTES_TABLE": "notes-test"}  # Globals, with the parameter
    assert app.functions["Profiles"].env == {"NOTES_TABLE": "notes-test", "PROFILES_TABLE": "profiles-test"}
    assert routes["GET /recent"].line is not None


def test_sam_rest_api_cognito_and_lambda_authorizers_and_payload_1_on_an_http_api() -> None:
    app = project.load(config("template.yaml"), SLS_APPS / "rest")
    routes = {r.key: r for r in app.routes}
    pool = routes["GET /echo/{id}"].authorizer
    assert pool is not None and pool.kind == "cognito" and pool.issuer.endswith("/us-east-1_Pool")
    assert routes["GET /echo/{id}"].stage == "v1" and routes["GET /echo/{id}"].payload == "1.0"
    gate = routes["GET /keyed"].authorizer
    assert gate is not None and (gate.kind, gate.function, gate.payload, gate.header) == (
        "lambda", "GatekeeperFn", "TOKEN", "X-Gate",
    )  # fmt: skip
    simple = routes["GET /simple"].authorizer
    assert simple is not None and simple.simple and simple.payload == "2.0" and simple.header == "X-Key"
    assert routes["GET /h/{id}"].payload == "1.0" and routes["GET /h/{id}"].api == "http"
    assert routes["POST /open"].authorizer is None
    assert app.functions["EchoFn"].env == {"STAGE_NAME": "stage-dev", "FLAG": "true"}
    assert app.functions["SlowFn"].timeout == 1.0


def test_operations_expand_a_mangum_proxy_into_the_fastapi_routes_and_point_at_handlers() -> None:
    root = EXAMPLES / "notes-sam"
    app = project.load(config("template.yaml", parameters={"Stage": "test"}), root)
    spec = project.operations(app, root)
    ops = {op.id: op for op in spec.operations}
    assert {"GET /profiles/me", "PUT /profiles/me"} <= set(ops)
    assert "ANY /profiles/{proxy+}" not in ops
    assert (ops["GET /profiles/me"].file, ops["GET /notes/{note_id}"].file) == ("profiles/app.py", "src/notes.py")
    lines = (root / "src/notes.py").read_text().splitlines()
    assert lines[ops["GET /notes/{note_id}"].line - 1].startswith("def get_note(")
    assert ops["GET /notes/{note_id}"].path_params == ("note_id",)


def test_template_tables_come_with_parameters() -> None:
    root = EXAMPLES / "notes-sam"
    cfg = config("template.yaml", parameters={"Stage": "test"})
    tables = {t.name: t for t in project.tables(project.load(cfg, root), cfg)}
    assert set(tables) == {"notes-test", "profiles-test"}
    assert [ix.name for ix in tables["notes-test"].indexes] == ["by_owner"]


def test_serverless_framework_functions_events_authorizers_and_variables() -> None:
    cfg = config("serverless.yml", parameters={"stage": "qa"})
    app = project.load(cfg, SLS_APPS / "sls")
    routes = {r.key: r for r in app.routes}
    assert set(routes) == {"GET /orders/{order_id}", "GET /public/orders", "GET /v1/orders/{order_id}"}
    auth = routes["GET /orders/{order_id}"].authorizer
    assert auth is not None and (auth.kind, auth.issuer, auth.audience) == (
        "jwt", "https://issuer.example.test/orders", ("orders-web",),
    )  # fmt: skip
    assert routes["GET /public/orders"].authorizer is None
    assert (routes["GET /v1/orders/{order_id}"].api, routes["GET /v1/orders/{order_id}"].stage) == ("rest", "qa")
    assert app.functions["getOrder"].env == {"ORDERS_TABLE": "orders-qa"} and app.functions["getOrder"].timeout == 4
    assert [t.name for t in project.tables(app, cfg)] == ["orders-qa"]


def test_chalice_routes_authorizers_and_config() -> None:
    app = project.load(config(".chalice/config.json"), SLS_APPS / "chalice_app")
    routes = {r.key: r for r in app.routes}
    assert set(routes) == {"GET /tasks/{task_id}", "GET /keyed", "GET /health"}
    pool = routes["GET /tasks/{task_id}"].authorizer
    assert pool is not None and pool.kind == "cognito" and pool.issuer.endswith("/us-east-1_Tasks")
    key = routes["GET /keyed"].authorizer
    assert key is not None and (key.kind, key.function) == ("lambda", "keycheck")
    assert app.functions["APIHandler"].handler == "app.app" and app.functions["APIHandler"].env == {"APP_MODE": "dev"}
    assert app.functions["keycheck"].handler == "app.keycheck"
    spec = project.operations(app, SLS_APPS / "chalice_app")
    op = next(o for o in spec.operations if o.id == "GET /tasks/{task_id}")
    assert op.file == "app.py" and (SLS_APPS / "chalice_app/app.py").read_text().splitlines()[op.line - 1].startswith(
        "def get_task"
    )


def test_an_openapi_definition_body_gives_the_operations_schemas(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("def create(event, context):\n    return {'statusCode': 201}\n")
    (tmp_path / "template.yaml").write_text(
        "Resources:\n"
        "  Api:\n"
        "    Type: AWS::Serverless::Api\n"
        "    Properties:\n"
        "      StageName: v1\n"
        "      DefinitionBody:\n"
        "        openapi: 3.0.1\n"
        "        paths:\n"
        "          /things:\n"
        "            post:\n"
        "              parameters: [{name: dry_run, in: query, required: true, schema: {type: boolean}}]\n"
        "              requestBody:\n"
        "                content:\n"
        "                  application/json:\n"
        "                    schema: {type: object, required: [name], properties: {name: {type: string}}}\n"
        "  Create:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        "      Handler: app.create\n"
        "      Events: {E: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /things, Method: POST}}}\n"
    )
    app = project.load(config("template.yaml"), tmp_path)
    (op,) = project.operations(app, tmp_path).operations
    assert op.id == "POST /things" and op.query_params == ("dry_run",) and op.body_fields == ("name",)
    assert (op.file, op.line) == ("app.py", 1)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "no such file"),
        (
            {"template.yaml": "Resources: {T: {Type: AWS::DynamoDB::Table}}"},
            "declares no Python AWS::Serverless::Function",
        ),
        ({"template.yaml": "a: [unclosed"}, "not valid YAML"),
        (
            {"template.yaml": "Resources: {F: {Type: AWS::Serverless::Function, Properties: {Handler: nodot}}}"},
            "Handler must be `module.function`",
        ),
        (
            {
                "template.yaml": "Resources: {F: {Type: AWS::Serverless::Function, Properties: {Handler: a.b, "
                "Events: {E: {Type: HttpApi, Properties: {Path: /x, Method: GET, Auth: {Authorizer: Nope}}}}}}}"
            },
            "names authorizer 'Nope'",
        ),
    ],
)
def test_bad_templates_are_one_clear_line(tmp_path: Path, files: dict[str, str], message: str) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(ScanError) as err:
        project.load(config("template.yaml"), tmp_path)
    assert message in err.value.message and "\n" not in err.value.message
