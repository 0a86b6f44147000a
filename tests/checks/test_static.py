"""Static checks: each one on a vulnerable snippet (every `# NOT OK` line found, nothing else) and a safe one.

Snippets are written to a temporary folder and read through the same walker and route map as a
scan (`gate.checks.static.scan_dir`), so "inside a request handler" means what it means in a real run.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from gate.checks.static import FAMILY, jwt_algorithms, scan_dir
from gate.checks.static.source import Hit, SourceFile
from gate.findings import Finding
from tests.conftest import EXAMPLES

# Built at run time so no credential-shaped literal sits in the repository.
ACCESS_KEY = "AKIA" + "Q" * 12 + "7XYZ"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCY" + "EXAMPLEKEY"


def scan(tmp_path: Path, code: str, name: str = "app.py") -> list[Finding]:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(code))
    findings, notes = scan_dir(tmp_path, tmp_path)
    assert notes == []
    return findings


def marked(code: str) -> set[int]:
    return {i for i, line in enumerate(textwrap.dedent(code).splitlines(), 1) if "# NOT OK" in line}


def lines_of(findings: list[Finding], check: str) -> set[int]:
    return {f.line for f in findings if f.check == check}  # type: ignore[misc]


def assert_exactly_marked(tmp_path: Path, code: str, check: str) -> list[Finding]:
    findings = scan(tmp_path, code)
    assert lines_of(findings, check) == marked(code), [(f.check, f.line, f.evidence.code) for f in findings]
    return [f for f in findings if f.check == check]


def assert_clean(tmp_path: Path, code: str) -> None:
    findings = scan(tmp_path, code)
    assert findings == [], [(f.check, f.line, f.message) for f in findings]


FLASK_HEAD = """\
from flask import Flask, g, jsonify, request, abort
import boto3, os, logging
app = Flask(__name__)
table = boto3.resource("dynamodb").Table("items")
log = logging.getLogger(__name__)
"""


# -- static.tls-verify-off ------------------------------------------------------------------------
def test_tls_verify_off_found(tmp_path: Path) -> None:
    code = """
    import boto3, requests, httpx, ssl, os
    VERIFY = False
    ddb = boto3.client("dynamodb", verify=False)  # NOT OK
    r = requests.get("https://x.test", verify=VERIFY)  # NOT OK
    s = requests.Session()
    s.verify = False  # NOT OK
    ctx = ssl._create_unverified_context()  # NOT OK
    c = httpx.Client(**{"verify": False})  # NOT OK
    os.environ["CURL_CA_BUNDLE"] = ""  # NOT OK
    os.environ.setdefault("PYTHONHTTPSVERIFY", "0")  # NOT OK
    """
    found = assert_exactly_marked(tmp_path, code, "static.tls-verify-off")
    assert found[0].evidence.code == {
        "file": "app.py",
        "line": 4,
        "excerpt": 'ddb = boto3.client("dynamodb", verify=False)  # NOT OK',
    }
    assert found[0].cwe == ("CWE-295",) and found[0].file == "app.py"


def test_tls_verify_on_is_clean(tmp_path: Path) -> None:
    assert_clean(
        tmp_path,
        """
        import boto3, requests, jwt
        import os
        os.environ["REQUESTS_CA_BUNDLE"] = "/etc/ssl/private-ca.pem"
        ddb = boto3.client("dynamodb", verify="/etc/ssl/private-ca.pem")
        r = requests.get("https://x.test", verify=True)
        def claims(t, key):
            return jwt.decode(t, key, algorithms=["HS256"], verify=True)
        """,
    )


# -- static.plain-http-endpoint -------------------------------------------------------------------
def test_plain_http_endpoints_found(tmp_path: Path) -> None:
    code = """
    import os, boto3
    LOCAL = "http://dynamodb-local:8000"
    a = boto3.resource("dynamodb", endpoint_url="http://10.0.0.5:8000")  # NOT OK
    b = boto3.client("dynamodb", endpoint_url=os.environ.get("DDB", "http://localhost:8000"))  # NOT OK
    c = boto3.client("dynamodb", endpoint_url=LOCAL)  # NOT OK
    d = boto3.client("s3", use_ssl=False)  # NOT OK
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = "http://localhost:8000"  # NOT OK
    os.environ.setdefault("AWS_ENDPOINT_URL", "http://localhost:4566")  # NOT OK
    """
    assert_exactly_marked(tmp_path, code, "static.plain-http-endpoint")


def test_https_or_environment_endpoints_and_test_files_are_clean(tmp_path: Path) -> None:
    code = 'import boto3\nx = boto3.client("dynamodb", endpoint_url="http://localhost:8000")\n'
    for name in ("tests/helpers.py", "test_app.py", "app_test.py", "conftest.py"):
        scan(tmp_path, code, name)
    assert_clean(
        tmp_path,
        """
        import os, boto3
        a = boto3.client("dynamodb", endpoint_url=os.environ["DDB_ENDPOINT"])
        b = boto3.client("dynamodb", endpoint_url="https://dynamodb.eu-west-1.amazonaws.com")
        c = boto3.client("dynamodb", endpoint_url=os.environ.get("DDB_ENDPOINT"))
        """,
    )


# -- static.hardcoded-aws-key ---------------------------------------------------------------------
def test_hardcoded_aws_keys_found_and_masked(tmp_path: Path) -> None:
    code = f"""
    import os, boto3
    AWS_SECRET_ACCESS_KEY = "{SECRET_KEY}"  # NOT OK
    session = boto3.Session(
        aws_access_key_id="{ACCESS_KEY}",  # NOT OK
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "{SECRET_KEY}"),  # NOT OK
    )
    """
    found = assert_exactly_marked(tmp_path, code, "static.hardcoded-aws-key")
    for f in found:
        assert ACCESS_KEY not in f.evidence.code["excerpt"] and SECRET_KEY not in f.evidence.code["excerpt"]
        assert ACCESS_KEY not in f.message and SECRET_KEY not in f.message
    assert found[0].evidence.code["excerpt"] == 'AWS_SECRET_ACCESS_KEY = "wJal…"  # NOT OK'


def test_aws_placeholders_and_environment_credentials_are_clean(tmp_path: Path) -> None:
    assert_clean(
        tmp_path,
        """
        import os, boto3
        local = boto3.client("dynamodb", aws_access_key_id="fake", aws_secret_access_key="fake")
        real = boto3.Session(aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"])
        """,
    )


# -- static.hardcoded-jwt-secret ------------------------------------------------------------------
def test_hardcoded_jwt_secrets_found_on_the_literal(tmp_path: Path) -> None:
    code = """
    import os, jwt
    from flask import Flask
    app = Flask(__name__)
    SECRET_KEY = "super-secret-key"  # NOT OK
    FALLBACK = os.environ.get("JWT_SECRET", "dev-only")  # NOT OK
    app.config["JWT_KEY"] = "config-secret"  # NOT OK
    def issue(p):
        return jwt.encode(p, SECRET_KEY, algorithm="HS256")
    def check(t):
        return jwt.decode(t, SECRET_KEY, algorithms=["HS256"])
    def check2(t):
        return jwt.decode(t, FALLBACK, algorithms=["HS256"])
    def check3(t):
        return jwt.decode(t, app.config["JWT_KEY"], algorithms=["HS256"])
    def check4(t):
        return jwt.decode(t, "inline-secret", algorithms=["HS256"])  # NOT OK
    """
    found = assert_exactly_marked(tmp_path, code, "static.hardcoded-jwt-secret")
    assert found[0].evidence.code["excerpt"] == 'SECRET_KEY = "supe…"  # NOT OK'
    for f in found:
        assert "super-secret-key" not in str(f) and "inline-secret" not in str(f)


def test_keys_handed_to_jwt_libraries_are_found(tmp_path: Path) -> None:
    """fastapi-users' JWTStrategy and Flask-JWT-Extended sign with a key the service only hands over."""
    code = """
    from fastapi_users.authentication import JWTStrategy
    from flask import Flask
    from flask_jwt_extended import JWTManager
    SECRET = "SECRET"  # NOT OK
    def get_jwt_strategy():
        return JWTStrategy(secret=SECRET, lifetime_seconds=3600)
    app = Flask(__name__)
    app.config["JWT_SECRET_KEY"] = "change-me-please"  # NOT OK
    jwt = JWTManager(app)
    """
    found = assert_exactly_marked(tmp_path, code, "static.hardcoded-jwt-secret")
    assert all("change-me-please" not in str(f) for f in found)


def test_jwt_secret_from_the_environment_is_clean(tmp_path: Path) -> None:
    assert_clean(
        tmp_path,
        """
        import os, jwt
        SECRET = os.environ["JWT_SECRET"]
        SECRET_KEY = "not-used-for-tokens"
        def issue(p):
            return jwt.encode(p, SECRET, algorithm="HS256")
        def check(t):
            return jwt.decode(t, os.environ["JWT_SECRET"], algorithms=["HS256"])
        """,
    )


# -- static.jwt-unverified ------------------------------------------------------------------------
def test_unverified_jwt_decodes_found(tmp_path: Path) -> None:
    code = """
    import os, jwt
    K = os.environ["K"]
    OPTS = {"verify_signature": False}
    def a(t):
        return jwt.decode(t, options={"verify_signature": False})  # NOT OK
    def b(t):
        return jwt.decode(t, K, algorithms=["HS256"], options={"verify_exp": False})  # NOT OK
    def c(t):
        return jwt.decode(t, K, algorithms=["HS256", "none"])  # NOT OK
    def d(t):
        return jwt.decode(t, K, algorithms=["HS256"], options=OPTS)  # NOT OK
    def e(t):
        return jwt.decode(t, K, verify=False)  # NOT OK
    """
    assert_exactly_marked(tmp_path, code, "static.jwt-unverified")


def test_verified_jwt_decode_is_clean(tmp_path: Path) -> None:
    assert_clean(
        tmp_path,
        """
        import os, jwt
        def a(t):
            return jwt.decode(t, os.environ["K"], algorithms=["HS256"], options={"require": ["exp", "sub"]})
        """,
    )


# -- static.jwt-no-algorithms ---------------------------------------------------------------------
def test_jwt_decode_without_pinned_algorithms_found(tmp_path: Path) -> None:
    code = """
    import os, jwt
    from jose import jwt as jose_jwt
    K = os.environ["K"]
    def a(t):
        return jwt.decode(t, K)  # NOT OK
    def b(t):
        return jwt.decode(t, K, algorithms=[jwt.get_unverified_header(t)["alg"]])  # NOT OK
    def c(t):
        return jose_jwt.decode(t, K)  # NOT OK
    """
    assert_exactly_marked(tmp_path, code, "static.jwt-no-algorithms")


def test_pinned_algorithms_are_clean_and_unverified_decodes_not_reported_twice(tmp_path: Path) -> None:
    findings = scan(
        tmp_path,
        """
        import os, jwt
        def a(t):
            return jwt.decode(t, os.environ["K"], algorithms=["HS256"])
        def b(t):
            return jwt.decode(t, options={"verify_signature": False})
        """,
    )
    assert [f.check for f in findings] == ["static.jwt-unverified"]


# -- static.weak-password-hash --------------------------------------------------------------------
def test_fast_password_hashes_found(tmp_path: Path) -> None:
    code = """
    import hashlib
    def hash_password(p):
        return hashlib.md5(p.encode()).hexdigest()  # NOT OK
    def store(user, password):
        user["h"] = hashlib.sha256(password.encode()).hexdigest()  # NOT OK
    def legacy(x):
        pw_hash = hashlib.sha1(x).hexdigest()  # NOT OK
        return pw_hash
    def other(body):
        return hashlib.new("sha512", body["password"].encode()).hexdigest()  # NOT OK
    """
    assert_exactly_marked(tmp_path, code, "static.weak-password-hash")


def test_slow_hashes_and_non_password_digests_are_clean(tmp_path: Path) -> None:
    assert_clean(
        tmp_path,
        """
        import hashlib, os
        def etag(body):
            return hashlib.sha256(body).hexdigest()
        def derive(password, salt):
            return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 600_000)
        """,
    )


# -- static.password-compare ----------------------------------------------------------------------
def test_non_constant_time_credential_comparisons_found(tmp_path: Path) -> None:
    code = """
    import os
    API_KEY = os.environ["API_KEY"]
    def login(user, candidate_hash):
        if user["password_hash"] == candidate_hash:  # NOT OK
            return True
    def check(token, expected_token):
        return token != expected_token  # NOT OK
    def key_ok(request):
        return request.headers.get("X-Api-Key") == API_KEY  # NOT OK
    def change(password, user):
        if hash_password(password) != user.password:  # NOT OK
            return False
    def signup(password, password_confirmation, form):
        if password != password_confirmation:  # two values the caller sent: nothing secret is timed
            return False
        return form.password == form.confirm_password
    """
    assert_exactly_marked(tmp_path, code, "static.password-compare")


def test_constant_time_and_harmless_comparisons_are_clean(tmp_path: Path) -> None:
    assert_clean(
        tmp_path,
        """
        import hmac
        def ok(user, candidate_hash, token, scheme, user_id, token_type):
            if not hmac.compare_digest(user["password_hash"], candidate_hash):
                return False
            if token == "" or len(token) == 0 or scheme != "Bearer" or token_type == scheme:
                return False
            return user["sub"] == user_id
        """,
    )


# -- static.unscoped-scan -------------------------------------------------------------------------
def test_unscoped_scans_in_handlers_found(tmp_path: Path) -> None:
    code = FLASK_HEAD + textwrap.dedent("""
    client = boto3.client("dynamodb")
    @app.get("/items")
    def all_items():
        return jsonify(table.scan()["Items"])  # NOT OK
    @app.get("/admin/count")
    def count():
        return {"n": client.scan(TableName="items", Select="COUNT")["Count"]}  # NOT OK
    @app.get("/topic")
    def by_topic():
        from boto3.dynamodb.conditions import Attr
        return jsonify(table.scan(FilterExpression=Attr("topic").eq("cats"))["Items"])  # NOT OK
    """)
    found = assert_exactly_marked(tmp_path, code, "static.unscoped-scan")
    assert [(f.method, f.route) for f in found] == [("GET", "/items"), ("GET", "/admin/count"), ("GET", "/topic")]


def test_owner_filtered_role_checked_and_offline_scans_are_clean(tmp_path: Path) -> None:
    assert_clean(
        tmp_path,
        FLASK_HEAD
        + textwrap.dedent("""
        from functools import wraps
        from boto3.dynamodb.conditions import Attr
        def admin_only(view):
            @wraps(view)
            def wrapper(*a, **k):
                if g.user.get("role") != "admin":
                    abort(403)
                return view(*a, **k)
            return wrapper
        @app.get("/mine")
        def mine():
            return jsonify(table.scan(FilterExpression=Attr("owner_id").eq(g.user["sub"]))["Items"])
        @app.get("/admin/all")
        @admin_only
        def admin_all():
            return jsonify(table.scan()["Items"])
        @app.get("/admin/inline")
        def admin_inline():
            if "admin" not in g.user.get("roles", []):
                abort(403)
            return jsonify(table.scan()["Items"])
        def migrate():
            for item in table.scan()["Items"]:
                print(item["user_id"])
        """),
    )


def test_fastapi_admin_dependency_with_a_role_check_is_clean(tmp_path: Path) -> None:
    assert_clean(
        tmp_path,
        """
        import boto3
        from fastapi import Depends, FastAPI, HTTPException
        app = FastAPI()
        profiles = boto3.resource("dynamodb").Table("profiles")
        def current_user() -> dict:
            return {}
        def admin(user: dict = Depends(current_user)) -> dict:
            if user.get("role") != "admin":
                raise HTTPException(403, "forbidden")
            return user
        @app.get("/profiles")
        def list_profiles(user: dict = Depends(admin)):
            return profiles.scan()["Items"]
        @app.get("/stats", dependencies=[Depends(admin)])
        def stats():
            return {"n": profiles.scan(Select="COUNT")["Count"]}
        """,
    )


# -- static.update-from-request -------------------------------------------------------------------
def test_writes_built_from_request_keys_found(tmp_path: Path) -> None:
    code = FLASK_HEAD + textwrap.dedent("""
    @app.put("/profile")
    def update():
        data = request.get_json() or {}
        sets = [f"#{k} = :{k}" for k in data]  # NOT OK
        table.update_item(Key={"user_id": g.user["sub"]}, UpdateExpression="SET " + ", ".join(sets),
                          ExpressionAttributeNames={f"#{k}": k for k in data},  # NOT OK
                          ExpressionAttributeValues={f":{k}": v for k, v in data.items()})  # NOT OK
        return {}
    @app.post("/items")
    def create():
        table.put_item(Item={**request.json, "owner_id": g.user["sub"]})  # NOT OK
        return {}
    """)
    assert_exactly_marked(tmp_path, code, "static.update-from-request")


def test_allow_listed_writes_are_clean(tmp_path: Path) -> None:
    assert_clean(
        tmp_path,
        FLASK_HEAD
        + textwrap.dedent("""
        ALLOWED = ("display_name", "bio")
        @app.put("/profile")
        def update():
            data = request.get_json() or {}
            fields = [k for k in ALLOWED if k in data]
            table.update_item(Key={"user_id": g.user["sub"]}, UpdateExpression="SET " + ", ".join(
                f"#{k} = :{k}" for k in fields), ExpressionAttributeNames={f"#{k}": k for k in fields},
                ExpressionAttributeValues={f":{k}": data[k] for k in fields})
            return {}
        @app.put("/profile2")
        def update2():
            data = request.get_json() or {}
            for k, v in data.items():
                if k not in ALLOWED:
                    abort(400)
            table.update_item(Key={"user_id": g.user["sub"]}, UpdateExpression="SET bio = :b",
                              ExpressionAttributeValues={":b": data["bio"]})
            return {}
        """),
    )


# -- static.error-leak ----------------------------------------------------------------------------
def test_exception_text_in_responses_found(tmp_path: Path) -> None:
    code = FLASK_HEAD + textwrap.dedent("""
    import traceback
    from fastapi import HTTPException
    @app.get("/a")
    def a():
        try:
            return table.get_item(Key={"k": "x"})
        except Exception as e:
            return {"error": str(e)}, 500  # NOT OK
    @app.get("/b")
    def b():
        try:
            return table.get_item(Key={"k": "x"})
        except Exception as exc:
            raise HTTPException(500, detail=f"db failed: {exc}")  # NOT OK
    @app.get("/c")
    def c():
        try:
            return table.get_item(Key={"k": "x"})
        except KeyError:
            return {"trace": traceback.format_exc()}  # NOT OK
    @app.errorhandler(Exception)
    def boom(err):
        return jsonify(error=repr(err)), 500  # NOT OK
    """)
    assert_exactly_marked(tmp_path, code, "static.error-leak")


def test_generic_errors_and_client_error_handlers_are_clean(tmp_path: Path) -> None:
    assert_clean(
        tmp_path,
        FLASK_HEAD
        + textwrap.dedent("""
        @app.get("/a")
        def a():
            try:
                return table.get_item(Key={"k": "x"})
            except Exception as e:
                log.exception("get_item failed: %s", e)
                return {"error": "internal error", "kind": type(e).__name__}, 500
        @app.errorhandler(404)
        def not_found(err):
            return {"error": str(err)}, 404
        def helper():
            try:
                return 1
            except Exception as e:
                return str(e)
        """),
    )


# -- static.secret-logged -------------------------------------------------------------------------
def test_credentials_written_to_logs_found(tmp_path: Path) -> None:
    code = FLASK_HEAD + textwrap.dedent("""
    @app.post("/login")
    def login():
        body = request.get_json()
        email, password, pw = body["email"], body["password"], body["password"]
        log.info("login %s %s", email, password)  # NOT OK
        logging.debug("password=%s", pw)  # NOT OK
        app.logger.warning(f"token={g.token}")  # NOT OK
        log.info("auth header %s", request.headers.get("Authorization"))  # NOT OK
        print(request.headers)  # NOT OK
        log.info("body %s", body["password"])  # NOT OK
        return {}
    """)
    assert_exactly_marked(tmp_path, code, "static.secret-logged")


def test_identifiers_lengths_and_harmless_headers_in_logs_are_clean(tmp_path: Path) -> None:
    assert_clean(
        tmp_path,
        FLASK_HEAD
        + textwrap.dedent("""
        @app.post("/login")
        def login():
            body = request.get_json()
            token = body.get("token", "")
            log.info("login for %s", body.get("email"))
            log.debug("token length %d", len(token))
            log.info("ua %s", request.headers.get("User-Agent"))
            log.info("password reset sent to %s", body.get("email"))
            return {}
        """),
    )


# -- the family -----------------------------------------------------------------------------------
def test_every_check_is_in_the_static_family_with_cwe_and_owasp() -> None:
    ids = [m.id for m in FAMILY.checks]
    assert (
        len(ids) == len(set(ids)) == 16
    )  # 12 source checks, the Lambda event logging and 3 template checks (issue 15)
    for m in FAMILY.checks:
        assert m.family == "static" and m.id.startswith("static.")
        assert m.cwe and all(c.startswith("CWE-") for c in m.cwe) and m.owasp and m.remediation


def test_a_check_is_a_pure_function_of_the_parsed_source() -> None:
    src = SourceFile.parse("import jwt\n\ndef f(t, k):\n    return jwt.decode(t, k)\n", "svc/auth.py")
    assert list(jwt_algorithms.check(src)) == [
        Hit(
            line=4,
            message="jwt.decode without algorithms=[...]: the token picks its own algorithm",
            key="no algorithms",
            scope="f",
        )
    ]


def test_unparseable_files_are_named_in_the_notes(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text("def (:\n")
    (tmp_path / "good.py").write_text("import requests\nrequests.get('https://x', verify=False)\n")
    findings, notes = scan_dir(tmp_path, tmp_path)
    assert [(f.check, f.file, f.line) for f in findings] == [("static.tls-verify-off", "good.py", 2)]
    assert notes == ["static: bad.py: not parsed (SyntaxError: line 1)"]


def test_code_nested_to_exhaust_recursion_is_noted_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "deep.py").write_text("import logging\nlogging.info('x', " + "+".join(["password"] * 900) + ")\n")
    assert scan_dir(tmp_path, tmp_path) == ([], ["static: deep.py: not read (nested deeper than 150 levels)"])


def test_excluded_checks_do_not_run(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("import requests\nrequests.get('https://x', verify=False)\n")
    assert scan_dir(tmp_path, tmp_path, {"static.tls-verify-off"})[0] == []


def test_fingerprints_survive_moving_the_code(tmp_path: Path) -> None:
    code = "import requests\n\ndef f():\n    return requests.get('https://x', verify=False)\n"
    first = scan(tmp_path, code)[0]
    moved = scan(tmp_path, "# a comment\n\n\n" + code)[0]
    assert moved.line == first.line + 3 and moved.fingerprint == first.fingerprint


@pytest.mark.parametrize("example", ["profiles-fastapi-fixed", "users-flask-fixed"])
def test_fixed_examples_have_no_static_findings(example: str) -> None:
    findings, notes = scan_dir(EXAMPLES / example, EXAMPLES / example)
    assert (findings, notes) == ([], [])


def test_vulnerable_examples_static_findings_are_exact() -> None:
    got = {
        (f.check, f.method, f.route, f.line)
        for ex in ("profiles-fastapi", "users-flask")
        for f in scan_dir(EXAMPLES / ex, EXAMPLES / ex)[0]
    }
    flask = (EXAMPLES / "users-flask" / "app.py").read_text().splitlines()
    fast = (EXAMPLES / "profiles-fastapi" / "app.py").read_text().splitlines()
    fast_passwords = (EXAMPLES / "profiles-fastapi" / "passwords.py").read_text().splitlines()

    def at(lines: list[str], text: str) -> int:
        return next(i for i, line in enumerate(lines, 1) if text in line)

    assert got == {
        ("static.update-from-request", "PUT", "/users/{user_id}/profile", at(fast, "enumerate(body.items())")),
        ("static.unscoped-scan", "GET", "/profiles", at(fast, 'profiles.scan()["Items"]]')),
        ("static.unscoped-scan", "GET", "/admin/stats", at(fast, 'items = profiles.scan()["Items"]')),
        ("static.error-leak", "GET", "/users/{user_id}/notes/{note_id}", at(fast, '"error": str(e)')),
        ("static.hardcoded-jwt-secret", "", "", at(fast, 'SECRET = "your-256-bit-secret"')),
        ("static.secret-logged", "", "", at(fast, "authorization={request.headers.get('authorization')}")),
        ("static.jwt-unverified", "", "", at(fast, '"verify_signature": False')),
        ("static.password-compare", "POST", "/login", at(fast, "password_ok = hash_password(")),
        ("static.weak-password-hash", "", "", at(fast_passwords, "hashlib.sha256(")),
        ("static.plain-http-endpoint", "", "", at(flask, "endpoint_url=")),
        ("static.tls-verify-off", "", "", at(flask, "verify=False")),
        ("static.hardcoded-jwt-secret", "", "", at(flask, 'SECRET = os.environ.get("JWT_SECRET"')),
        ("static.weak-password-hash", "POST", "/login", at(flask, "hashlib.md5(")),
        ("static.password-compare", "POST", "/login", at(flask, "hashlib.md5(")),
        ("static.secret-logged", "POST", "/login", at(flask, 'log.warning("failed login')),
        ("static.secret-logged", "POST", "/login", at(flask, 'log.warning("login ok')),
        ("static.error-leak", "GET", "/user", at(flask, '"error": str(e)')),
        ("static.update-from-request", "PUT", "/api/profile", at(flask, "enumerate(data.items())")),
        ("static.unscoped-scan", "GET", "/api/admin/users-count", at(flask, "users.scan()")),
    }


def test_a_scan_in_a_route_the_config_declares_public_is_intended(tmp_path: Path) -> None:
    import shutil

    from tests.conftest import scan_report

    svc = tmp_path / "svc"
    shutil.copytree(EXAMPLES / "profiles-fastapi", svc)
    cfg = svc / ".authgate.yml"
    dynamic = "bola, bfla, authn, jwt, rate-limit, enumeration, account-state, mass-assignment, exposure, errors"
    text = cfg.read_text().replace(
        'public: ["POST /login", "POST /signup"]',
        f'public: ["POST /login", "POST /signup", "GET /profiles"]\n  exclude: [{dynamic}]',
    )
    cfg.write_text(text)
    p, report = scan_report(svc, tmp_path)
    scans = {f["route"] for f in report["findings"] if f["check"] == "static.unscoped-scan"}
    assert scans == {"/admin/stats"}, p.stdout + p.stderr  # GET /profiles is a public catalogue by the config
