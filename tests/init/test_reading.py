"""What init reads from shapes the scanned repositories do not cover: a sign-up and login with a secret
in the code, API-key headers, a SAM template, a role claim, and YAML values that need quoting."""

from __future__ import annotations

import textwrap
from pathlib import Path

import yaml

from gate.config import load_config
from gate.dynamo.tables import tables_from_template
from gate.init import plan_for, write_config
from gate.init.writer import flow, scalar


def repo(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return tmp_path


LOGIN_APP = """
    import boto3
    import jwt
    from fastapi import FastAPI
    from pydantic import BaseModel

    SECRET = "change-me"
    app = FastAPI()
    users = boto3.resource("dynamodb").Table("users")


    class SignUp(BaseModel):
        email: str
        password: str
        password_confirmation: str
        display_name: str


    class Login(BaseModel):
        email: str
        password: str


    @app.post("/auth/register")
    def register(body: SignUp):
        users.put_item(Item={"email": body.email, "display_name": body.display_name})
        return {"ok": True}


    @app.post("/auth/login")
    def login(body: Login):
        return {"token": issue(body.email)}


    def issue(email):
        return jwt.encode({"email": email, "role": "user"}, SECRET, algorithm="HS256")


    @app.get("/me")
    def me(authorization: str):
        claims = jwt.decode(authorization, SECRET, algorithms=["HS256"])
        if claims.get("role") == "admin":
            return {"admin": True}
        return users.get_item(Key={"email": claims["email"]})["Item"]
"""


def test_a_secret_in_the_code_means_logging_in_through_sign_up_and_login(tmp_path: Path) -> None:
    root = repo(tmp_path, {"main.py": LOGIN_APP})
    done = write_config(root)
    cfg = load_config(done.path)
    text = done.path.read_text()
    assert cfg.auth.jwt is None and "# TODO: the JWT secret is written into the code (main.py:" in text
    assert cfg.auth.login is not None and cfg.auth.signup is not None
    assert (cfg.auth.login.path, cfg.auth.login.body, cfg.auth.login.token) == (
        "/auth/login",
        {"email": "{email}", "password": "{password}"},
        "token",
    )
    assert cfg.auth.signup.body == {
        "email": "{email}",
        "password": "{password}",
        "password_confirmation": "{password}",
        "display_name": "{name}",
    }
    # the subject is the e-mail: identities and the users table's owner key are e-mails
    assert {n: i.sub for n, i in cfg.identities.items()} == {
        "alice": "alice@example.test",
        "bob": "bob@example.test",
        "admin": "admin@example.test",
    }
    assert all(i.password for i in cfg.identities.values())
    assert cfg.identities["admin"].claims == {"role": "admin"}  # the role check read the claims
    assert cfg.checks.public == ["POST /auth/login", "POST /auth/register"]
    assert [f.item["email"] for f in cfg.fixtures] == [f"{n}@example.test" for n in ("alice", "bob", "admin")]


def test_api_key_headers_and_a_sam_template(tmp_path: Path) -> None:
    root = repo(
        tmp_path,
        {
            "app.py": """
                import os
                import boto3
                from flask import Flask, request

                app = Flask(__name__)
                table = boto3.resource("dynamodb").Table(os.environ["ORDERS_TABLE"])

                @app.get("/orders/<order_id>")
                def order(order_id):
                    key = request.headers["X-Api-Key"]
                    return table.get_item(Key={"tenant_id": key, "order_id": order_id})["Item"]
            """,
            "template.yaml": """
                Resources:
                  Orders:
                    Type: AWS::DynamoDB::Table
                    Properties:
                      TableName: orders
                      KeySchema: [{AttributeName: tenant_id, KeyType: HASH}, {AttributeName: order_id, KeyType: RANGE}]
                      AttributeDefinitions:
                        - {AttributeName: tenant_id, AttributeType: S}
                        - {AttributeName: order_id, AttributeType: S}
            """,
        },
    )
    plan = plan_for(root)
    assert plan.template == "template.yaml" and plan.env == {"ORDERS_TABLE": "orders"}
    assert plan.auth.api_key_header == "X-Api-Key" and not plan.auth.mints
    cfg = load_config(write_config(root).path)
    assert cfg.dynamodb.template == "template.yaml" and cfg.dynamodb.tables == []
    assert cfg.auth.api_key is not None and cfg.auth.api_key.header == "X-Api-Key"
    assert [i.api_key for i in cfg.identities.values()] == [f"authgate-{n}-key" for n in ("alice", "bob", "admin")]
    assert [(f.table, f.item["tenant_id"]) for f in cfg.fixtures] == [("orders", n) for n in ("alice", "bob", "admin")]
    assert cfg.service.command == "flask --app app run --host 127.0.0.1 --port {port}" and cfg.openapi is None


def test_values_that_yaml_would_misread_are_quoted() -> None:
    for value in ["on", "No", "null", "1", "1.5", "a: b", "#x", "{port}", "x'y", 'say "hi"', "", "~", "- a"]:
        assert yaml.safe_load(f"k: {scalar(value)}") == {"k": value}, value
    data = {"yes": [1, True, None, "alice's note"], "a b": {"c": "d:e"}}
    assert yaml.safe_load(f"k: {flow(data)}") == {"k": data}


def test_a_table_name_built_from_an_env_var_takes_the_template_parameter_default(tmp_path: Path) -> None:
    root = repo(
        tmp_path,
        {
            "src/__init__.py": "",
            "src/app.py": """
                from os import getenv
                from boto3 import resource
                from flask import Flask

                project = getenv("PROJECT_NAME")
                table = resource("dynamodb").Table(f"{project}-users")
                app = Flask(__name__)

                @app.get("/users/<username>")
                def user(username):
                    return table.get_item(Key={"username": username})["Item"]
            """,
            "scripts/deploy.py": "import os\nBUCKET = os.environ['BUCKET_NAME']\n",
            "template.yaml": """
                Parameters:
                  projectName: {Type: String, Default: my-project}
                Resources:
                  Users:
                    Type: AWS::DynamoDB::Table
                    Properties:
                      TableName: !Sub ${projectName}-users
                      KeySchema: [{AttributeName: username, KeyType: HASH}]
                      AttributeDefinitions: [{AttributeName: username, AttributeType: S}]
            """,
        },
    )
    done = write_config(root)
    cfg = load_config(done.path)
    assert cfg.service.env == {"PROJECT_NAME": "my-project"}
    # the template's `!Sub ${projectName}-users` resolves with the parameter's default: the template is the source
    assert cfg.dynamodb.tables == [] and cfg.dynamodb.template == "template.yaml"
    assert [(t.name, t.key) for t in tables_from_template(root / "template.yaml")] == [
        ("my-project-users", {"username": "S"})
    ]
    assert cfg.service.command == "flask --app src.app run --host 127.0.0.1 --port {port}"
    assert "BUCKET_NAME" not in done.path.read_text()  # a deploy script's variable is not the service's


def test_an_entry_with_relative_imports_runs_as_a_package_and_only_required_env_is_asked(tmp_path: Path) -> None:
    root = repo(
        tmp_path,
        {
            "app/main.py": """
                import os
                from fastapi import FastAPI
                from .routes import router

                DEBUG = os.getenv("DEBUG")
                REGION = os.environ["REGION_LABEL"]
                app = FastAPI()
                app.include_router(router)
            """,
            "app/routes.py": "from fastapi import APIRouter\n\nrouter = APIRouter()\n",
        },
    )
    done = write_config(root)
    cfg = load_config(done.path)
    assert (cfg.service.command, cfg.service.workdir) == ("uvicorn app.main:app --host 127.0.0.1 --port {port}", ".")
    asked = [line for line in done.path.read_text().splitlines() if "has no default" in line]
    assert len(asked) == 1 and "REGION_LABEL" in asked[0]  # os.getenv("DEBUG") may stay unset
