"""profiles, fixed: the same service with each flaw remediated. authgate must find nothing here.

Each remediation is marked `# OK:` with what makes it safe.
"""

import hashlib
import hmac
import os
import secrets
import time
import uuid
from enum import IntEnum
from typing import Literal

import boto3
import jwt
from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError
from fastapi import Depends, FastAPI, Header, HTTPException, Query
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from passwords import hash_password, verify_password

app = FastAPI(title="profiles (fixed)")
ddb = boto3.resource("dynamodb")
profiles = ddb.Table(os.environ.get("PROFILES_TABLE", "profiles"))
posts = ddb.Table(os.environ.get("POSTS_TABLE", "posts"))
SECRET = os.environ["JWT_SECRET"]  # OK: a strong secret from the environment, never in code
TOKEN_SECONDS = 900  # OK: short-lived tokens
REVOKED: dict[str, int] = {}  # OK: logout denylist, jti -> exp (a DynamoDB table with a TTL when on several instances)
FAILED: dict[str, list[float]] = {}  # failed logins per e-mail address (same remark)
MAX_FAILED, WINDOW = 10, 300


def unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


def credential_stamp(stored_hash: str) -> str:
    """A keyed stamp of the password hash, carried in the token: a new password ends the old tokens."""
    return hmac.new(SECRET.encode(), stored_hash.encode(), hashlib.sha256).hexdigest()[:16]


def active(user: dict | None) -> bool:
    # OK: DynamoDB is schemaless: a missing attribute means "no", so a half-written account stays out
    return bool(user) and user.get("enabled") is True and user.get("email_confirmed") is True


def current_user(authorization: str = Header(default="")) -> dict:
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:  # OK: the scheme is case-insensitive (RFC 7235), the token required
        raise unauthorized("missing token")
    try:
        # OK: signature verified, algorithm pinned, exp (and the claims below) required
        claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"require": ["exp", "iat", "sub", "jti"]})
    except jwt.PyJWTError:
        raise unauthorized("invalid token") from None
    if claims["jti"] in REVOKED:  # OK: a logged-out token stays out
        raise unauthorized("invalid token")
    # OK: the account as it is now: disabled, or its password changed since the token was issued, ends the token
    user = profiles.get_item(Key={"user_id": claims["sub"]}).get("Item")
    stamp = credential_stamp(str(user.get("password_hash", ""))) if user else ""
    if not active(user) or not hmac.compare_digest(str(claims.get("pwd", "")), stamp):
        raise unauthorized("invalid token")
    return claims


def admin(user: dict = Depends(current_user)) -> dict:
    if user.get("role") != "admin":  # OK: function-level authorization
        raise HTTPException(403, "forbidden")
    return user


def owner(user_id: str, user: dict = Depends(current_user)) -> dict:
    if user["sub"] != user_id:  # OK: the path must name the caller
        raise HTTPException(403, "forbidden")
    return user


class Profile(BaseModel):  # OK: response model without secrets
    user_id: str
    display_name: str | None = None


class ProfileUpdate(BaseModel):  # OK: allow-listed fields, unknown fields rejected
    model_config = ConfigDict(extra="forbid")
    display_name: str = Field(max_length=100)


class Credentials(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)


class ResetRequest(BaseModel):
    email: str = Field(max_length=254)


def find_user(email: str) -> dict | None:
    rows = profiles.query(IndexName="by_email", KeyConditionExpression=Key("email").eq(email))
    return (rows.get("Items") or [None])[0]


def retry_after(email: str) -> int:
    """Seconds until `email` may try again (0: now): MAX_FAILED failures per WINDOW seconds."""
    now = time.time()
    recent = [t for t in FAILED.get(email, []) if now - t < WINDOW]
    FAILED[email] = recent
    return int(WINDOW - (now - recent[0])) + 1 if len(recent) >= MAX_FAILED else 0


@app.post("/login")
def login(body: Credentials):
    email = body.email.strip().lower()
    wait = retry_after(email)
    if wait:  # OK: rate-limited per account, with Retry-After
        raise HTTPException(429, "too many failed logins", headers={"Retry-After": str(wait)})
    user = find_user(email)
    # OK: Argon2id, and the same work and the same answer for an unknown account, a wrong password,
    # and a disabled or unconfirmed one
    if not verify_password(user.get("password_hash") if user else None, body.password) or not active(user):
        FAILED.setdefault(email, []).append(time.time())
        raise unauthorized("invalid credentials")
    FAILED.pop(email, None)
    now = int(time.time())
    claims = {
        "sub": user["user_id"],
        "role": user.get("role"),
        "iat": now,
        "exp": now + TOKEN_SECONDS,
        "jti": secrets.token_urlsafe(16),
        "pwd": credential_stamp(str(user["password_hash"])),
    }
    return {"access_token": jwt.encode(claims, SECRET, algorithm="HS256"), "token_type": "bearer"}


@app.post("/logout")
def logout(user: dict = Depends(current_user)):
    REVOKED[user["jti"]] = user["exp"]  # OK: revoked until it would have expired anyway
    return {"logged_out": True}


@app.post("/password-reset", status_code=202)
def password_reset(body: ResetRequest):
    # OK: one answer whether or not the account exists (the link, if any, goes out by e-mail)
    find_user(body.email.strip().lower())
    return {"detail": "if the account exists, we sent a reset link"}


@app.get("/users/{user_id}/profile", response_model=Profile)
def get_profile(user_id: str, user: dict = Depends(owner)):
    # OK: ownership checked before the read; the key comes from the verified token
    item = profiles.get_item(Key={"user_id": user["sub"]}).get("Item")
    if not item:
        raise HTTPException(404, "not found")
    return item


@app.put("/users/{user_id}/profile")
def put_profile(user_id: str, body: ProfileUpdate, user: dict = Depends(owner)):
    # OK: only allow-listed fields; the write is conditioned on the item existing for this owner
    try:
        profiles.update_item(Key={"user_id": user["sub"]}, UpdateExpression="SET display_name = :d",
                             ConditionExpression=Attr("user_id").eq(user["sub"]),
                             ExpressionAttributeValues={":d": body.display_name})
    except ClientError:
        raise HTTPException(404, "not found") from None
    return {"updated": user["sub"]}


@app.get("/profiles", response_model=list[Profile])
def list_profiles(user: dict = Depends(admin)):
    # OK: authenticated and admin-only
    return profiles.scan()["Items"]


@app.get("/admin/stats")
def admin_stats(user: dict = Depends(admin)):
    # OK: role checked before the Scan
    return {"profiles": profiles.scan(Select="COUNT")["Count"]}


class Post(BaseModel):  # OK: response model: no author emails, no extra attributes
    owner_id: str
    post_id: str
    topic: str | None = None
    body: str | None = None


class PostCreate(BaseModel):  # OK: allow-listed fields, unknown fields (owner_id, role, ...) rejected
    model_config = ConfigDict(extra="forbid")
    topic: str = Field(max_length=64)
    body: str = Field(max_length=2000)


@app.get("/posts", response_model=list[Post])
def posts_by_topic(topic: str = "cats", user: dict = Depends(current_user)):
    # OK: the owner is the partition key of the Query; topic only narrows the caller's own posts
    return posts.query(KeyConditionExpression=Key("owner_id").eq(user["sub"]),
                       FilterExpression=Attr("topic").eq(topic))["Items"]


@app.get("/me/posts")
def my_posts(user: dict = Depends(current_user)):
    # OK: Query on the owner key instead of a Scan
    return posts.query(KeyConditionExpression=Key("owner_id").eq(user["sub"]))["Items"]


@app.delete("/users/{user_id}/posts/{post_id}")
def delete_post(user_id: str, post_id: str, user: dict = Depends(owner)):
    # OK: the key's owner comes from the token, not the path
    posts.delete_item(Key={"owner_id": user["sub"], "post_id": post_id})
    return {"deleted": post_id}


@app.get("/users/{user_id}/notes/{note_id}")
def get_note(user_id: str, note_id: str, user: dict = Depends(owner)):
    # OK: input validated, errors answered generically
    if len(note_id) > 128:
        raise HTTPException(422, "invalid note id")
    try:
        item = posts.get_item(Key={"owner_id": user["sub"], "post_id": note_id}).get("Item")
    except ClientError:
        raise HTTPException(500, "internal error") from None
    return item or {}


@app.post("/posts")
def create_post(body: PostCreate, user: dict = Depends(current_user)):
    # OK: the owner comes from the verified token; only allow-listed fields are written
    item = {**body.model_dump(), "owner_id": user["sub"], "post_id": uuid.uuid4().hex}
    posts.put_item(Item=item, ConditionExpression=Attr("post_id").not_exists())
    return {"post_id": item["post_id"]}


@app.delete("/admin/users/{user_id}")
def admin_delete_user(user_id: str, user: dict = Depends(admin)):
    # OK: role checked before the delete
    profiles.delete_item(Key={"user_id": user_id})
    return {"deleted": user_id}


class Plan(IntEnum):
    free = 1
    pro = 2
    team = 3


class SignUp(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=3, max_length=32, pattern=r"^[a-z][a-z0-9-]+$")
    email: EmailStr
    password: str = Field(min_length=8, max_length=128)
    display_name: str = Field(min_length=1, max_length=80)
    plan: Plan = Plan.free
    role: Literal["user", "admin"] = "user"


@app.post("/signup", status_code=202)
def signup(body: SignUp):
    # OK: role and plan are never taken from the request: a new account is a "user" on the free plan (admins and
    # billing change them); it stays disabled until its e-mail address is confirmed
    item = {"user_id": body.username, "email": body.email.lower(), "display_name": body.display_name,
            "plan": int(Plan.free), "role": "user", "password_hash": hash_password(body.password),
            "enabled": False, "email_confirmed": False}
    try:
        profiles.put_item(Item=item, ConditionExpression=Attr("user_id").not_exists())
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
    # OK: the same answer whether or not the name was taken: the caller learns nothing about other accounts
    return {"status": "check your email"}


@app.get("/posts/search")
def search_posts(q: str = Query(min_length=2, max_length=50), user: dict = Depends(current_user)):
    # OK: only the caller's own posts (a Query on its own partition), matched here
    items = posts.query(KeyConditionExpression=Key("owner_id").eq(user["sub"]))["Items"]
    return [p for p in items if q.lower() in str(p.get("body", "")).lower() or q == p.get("topic")]


class Report(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Literal["spam", "abuse", "other"]
    detail: str = Field(default="", max_length=500)


@app.post("/posts/{owner_id}/{post_id}/reports", status_code=201)
def report_post(owner_id: str, post_id: str, body: Report, user: dict = Depends(current_user)):
    # OK: signed in; the report is the caller's own record (its partition), naming the post it is about
    item = {"owner_id": user["sub"], "post_id": "report-" + uuid.uuid4().hex, "about": f"{owner_id}/{post_id}",
            "reason": body.reason, "detail": body.detail}
    posts.put_item(Item=item)
    return {"report_id": item["post_id"]}
