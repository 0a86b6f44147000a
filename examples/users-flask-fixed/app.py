"""users, fixed: the same Flask service with each flaw remediated. authgate must find nothing here.

Each remediation is marked `# OK:` with what makes it safe.
"""

import logging
import os
import time
from functools import wraps

import boto3
import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError
from flask import Flask, g, jsonify, request

app = Flask(__name__)
log = logging.getLogger("users")
# OK: endpoint, credentials and region come from the environment; TLS verification stays on
ddb = boto3.resource("dynamodb")
users = ddb.Table(os.environ.get("USERS_TABLE", "users"))
posts = ddb.Table(os.environ.get("POSTS_TABLE", "posts"))
SECRET = os.environ["JWT_SECRET"]  # OK: no fallback key in the code
hasher = PasswordHasher()  # OK: argon2id, a slow, salted password hash
DUMMY_HASH = hasher.hash("authgate-dummy-password")  # verified for unknown users so every answer costs the same
ALLOWED_PROFILE_FIELDS = ("display_name", "bio")
PUBLIC_FIELDS = ("user_id", "display_name", "bio")
MAX_FAILURES, WINDOW_S = 5, 300.0
failures: dict[str, list[float]] = {}


def require_auth(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or not token:
            return jsonify(error="missing token"), 401, {"WWW-Authenticate": "Bearer"}
        try:
            # OK: signature verified, algorithm pinned, exp and sub required
            g.user = jwt.decode(token, SECRET, algorithms=["HS256"], options={"require": ["exp", "sub"]})
        except jwt.PyJWTError:
            return jsonify(error="invalid token"), 401, {"WWW-Authenticate": "Bearer"}
        return view(*args, **kwargs)

    return wrapper


def require_role(role):
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if g.user.get("role") != role:  # OK: function-level authorization
                return jsonify(error="forbidden"), 403
            return view(*args, **kwargs)

        return wrapper

    return decorate


def public(item):
    return {k: item[k] for k in PUBLIC_FIELDS if k in item}  # OK: no password hash, role or email


@app.get("/health")
def health():
    # OK: public liveness route, no data
    return {"status": "ok"}


@app.post("/login")
def login():
    # OK: argon2 verify (constant-time), same answer for unknown users and wrong passwords, attempts limited
    body = request.get_json(silent=True)
    body = body if isinstance(body, dict) else {}
    email, password = str(body.get("email", ""))[:254], str(body.get("password", ""))[:1024]
    now = time.monotonic()
    recent = [t for t in failures.get(email, []) if now - t < WINDOW_S]
    failures[email] = recent
    if len(recent) >= MAX_FAILURES:
        return {"error": "too many attempts"}, 429, {"Retry-After": str(int(WINDOW_S))}
    rows = []
    if email:
        rows = users.query(IndexName="by_email", KeyConditionExpression=Key("email").eq(email)).get("Items", [])
    stored = rows[0].get("password_hash", DUMMY_HASH) if rows else DUMMY_HASH
    try:
        hasher.verify(stored, password)
        ok = bool(rows)
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        recent.append(now)
        log.info("failed login attempt")
        return {"error": "bad credentials"}, 401
    failures.pop(email, None)
    token = jwt.encode({"sub": rows[0]["user_id"], "exp": int(time.time()) + 900}, SECRET, algorithm="HS256")
    return {"access_token": token}


@app.route("/user")
@require_auth
def get_user():
    # OK: authenticated, and the query parameter must name the caller; errors answered generically
    user_id = request.args.get("user_id", g.user["sub"])
    if user_id != g.user["sub"]:
        return {"error": "forbidden"}, 403
    try:
        item = users.get_item(Key={"user_id": g.user["sub"]}).get("Item")
    except ClientError:
        log.exception("get_item failed")
        return {"error": "internal error"}, 500
    return jsonify(public(item or {}))


@app.route("/api/users/<user_id>", methods=["GET"])
@require_auth
def get_user_profile(user_id):
    # OK: ownership checked before the read; the key comes from the verified token; public fields only
    if user_id != g.user["sub"]:
        return {"error": "forbidden"}, 403
    item = users.get_item(Key={"user_id": g.user["sub"]}).get("Item")
    if not item:
        return {"error": "not found"}, 404
    return jsonify(public(item))


@app.route("/api/users/<user_id>/posts")
@require_auth
def get_user_posts(user_id):
    # OK: the Query is keyed on the caller, and the path must name the caller
    if user_id != g.user["sub"]:
        return {"error": "forbidden"}, 403
    return jsonify(posts.query(KeyConditionExpression=Key("owner_id").eq(g.user["sub"]))["Items"])


@app.route("/api/profile", methods=["PUT"])
@require_auth
def update_profile():
    # OK: only allow-listed fields are written; anything else is refused
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return {"error": "a JSON object is required"}, 400
    unknown = sorted(set(data) - set(ALLOWED_PROFILE_FIELDS))
    if unknown:
        return {"error": f"unknown fields: {', '.join(unknown)[:200]}"}, 400
    fields = [k for k in ALLOWED_PROFILE_FIELDS if k in data]
    if not fields or not all(isinstance(data[k], str) and len(data[k]) <= 200 for k in fields):
        return {"error": "display_name or bio (strings) required"}, 400
    users.update_item(
        Key={"user_id": g.user["sub"]},
        UpdateExpression="SET " + ", ".join(f"#{k} = :{k}" for k in fields),
        ExpressionAttributeNames={f"#{k}": k for k in fields},
        ExpressionAttributeValues={f":{k}": data[k] for k in fields},
    )
    return {"updated": g.user["sub"]}


@app.route("/api/admin/users-count")
@require_auth
@require_role("admin")
def admin_users_count():
    # OK: role checked before the Scan, and only the count leaves the service
    return {"count": users.scan(Select="COUNT")["Count"]}
