"""users: a Flask service on DynamoDB with the classic authorization flaws (do not deploy).

Each route is marked `# NOT OK:` with the flaw authgate must find, or `# OK:`. The gate runs it
with `flask --app app run` (see .authgate.yml); there is no OpenAPI document, so the gate reads
the routes from this file.
"""

import hashlib
import logging
import os
import time
from functools import wraps

import boto3
import jwt
from boto3.dynamodb.conditions import Key
from flask import Flask, g, jsonify, request

app = Flask(__name__)
log = logging.getLogger("users")
# NOT OK: static.tls-verify-off - certificates are never checked;
# NOT OK: static.plain-http-endpoint - without the variable, requests go out over plain http
ddb = boto3.resource(
    "dynamodb",
    endpoint_url=os.environ.get("AWS_ENDPOINT_URL_DYNAMODB", "http://localhost:8000"),
    verify=False,
)
users = ddb.Table(os.environ.get("USERS_TABLE", "users"))
posts = ddb.Table(os.environ.get("POSTS_TABLE", "posts"))
# NOT OK: static.hardcoded-jwt-secret - a committed fallback key signs tokens whenever the variable is unset
SECRET = os.environ.get("JWT_SECRET", "dev-secret-change-me")


def require_auth(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return jsonify(error="missing token"), 401
        try:
            g.user = jwt.decode(token, SECRET, algorithms=["HS256"])
        except jwt.PyJWTError:
            return jsonify(error="invalid token"), 401
        return view(*args, **kwargs)

    return wrapper


@app.get("/health")
def health():
    # OK: public liveness route, no data
    return {"status": "ok"}


@app.post("/login")
def login():
    # NOT OK: static.weak-password-hash (md5), static.password-compare (==);
    # NOT OK: static.secret-logged, secrets-in-logs - the password and the issued token are written to the log
    body = request.get_json(silent=True) or {}
    email, password = str(body.get("email", "")), str(body.get("password", ""))
    if not email:
        return {"error": "email is required"}, 400
    rows = users.query(IndexName="by_email", KeyConditionExpression=Key("email").eq(email)).get("Items", [])
    if not rows or rows[0].get("password_hash") != hashlib.md5(password.encode()).hexdigest():
        log.warning("failed login for %s with password %s", email, password)
        return {"error": "bad credentials"}, 401
    token = jwt.encode({"sub": rows[0]["user_id"], "exp": int(time.time()) + 900}, SECRET, algorithm="HS256")
    log.warning("login ok for %s, token %s", email, token)
    return {"access_token": token}


@app.route("/user")
def get_user():
    # NOT OK: authn.missing - no authentication before the read; static.error-leak - DynamoDB's error text goes back
    user_id = request.args.get("user_id")
    if not user_id:
        return {"error": "user_id is required"}, 400
    try:
        item = users.get_item(Key={"user_id": user_id}).get("Item")
    except Exception as e:
        return {"error": str(e)}, 500
    return jsonify(item or {})


@app.route("/api/users/<user_id>", methods=["GET"])
@require_auth
def get_user_profile(user_id):
    # NOT OK: bola.read - no check that user_id is the caller; exposure - the password hash goes out too
    item = users.get_item(Key={"user_id": user_id}).get("Item")
    if not item:
        return {"error": "not found"}, 404
    return jsonify(item)


@app.route("/api/users/<user_id>/posts")
@require_auth
def get_user_posts(user_id):
    # NOT OK: bola.read - the Query is keyed on the user in the path, not on the caller
    return jsonify(posts.query(KeyConditionExpression=Key("owner_id").eq(user_id))["Items"])


@app.route("/api/profile", methods=["PUT"])
@require_auth
def update_profile():
    # NOT OK: mass-assignment, static.update-from-request - every body field lands in the item (role, email, ...)
    data = request.get_json(silent=True) or {}
    names, values, sets = {}, {}, []
    for i, (k, v) in enumerate(data.items()):
        names[f"#f{i}"], values[f":v{i}"] = k, v
        sets.append(f"#f{i} = :v{i}")
    if not sets:
        return {"error": "empty body"}, 400
    users.update_item(
        Key={"user_id": g.user["sub"]},
        UpdateExpression="SET " + ", ".join(sets),
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
    )
    return {"updated": g.user["sub"]}


@app.route("/api/admin/users-count")
@require_auth
def admin_users_count():
    # NOT OK: bfla - any signed-in user gets the admin figure (no role check); static.unscoped-scan
    items = users.scan()["Items"]
    return {"count": len(items), "emails": sorted(u.get("email", "") for u in items)}
