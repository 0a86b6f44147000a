"""profiles: a FastAPI service on DynamoDB with the classic authentication and authorization flaws (do not deploy).

Each route is marked `# NOT OK:` with the flaw authgate must find, or `# OK:`.
"""

import os
import time
import uuid
from enum import IntEnum
from typing import Literal

import boto3
import jwt
from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError
from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request
from pydantic import BaseModel, EmailStr, Field

from passwords import hash_password

app = FastAPI(title="profiles")
ddb = boto3.resource("dynamodb")
profiles = ddb.Table(os.environ.get("PROFILES_TABLE", "profiles"))
posts = ddb.Table(os.environ.get("POSTS_TABLE", "posts"))
# NOT OK: jwt.weak-secret - a hard-coded secret from every JWT tutorial (the environment's JWT_SECRET is ignored)
SECRET = "your-256-bit-secret"


@app.middleware("http")
async def request_log(request: Request, call_next):
    # NOT OK: secrets-in-logs - the request log prints the Authorization header (the bearer token)
    print(f"{request.method} {request.url.path} authorization={request.headers.get('authorization')}")
    return await call_next(request)


def current_user(authorization: str = Header(default="")) -> dict:
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(401, "missing token")
    try:
        # NOT OK: jwt.other-key - the token is decoded without verifying its signature (and so without checking exp);
        # account-state.token-after-disable / -password-change - the account is never looked at after login
        return jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise HTTPException(401, "invalid token") from None


def find_user(email: str) -> dict | None:
    rows = profiles.query(IndexName="by_email", KeyConditionExpression=Key("email").eq(email))
    return (rows.get("Items") or [None])[0]


@app.post("/login")
def login(body: dict):
    user = find_user(str(body.get("email", "")))
    # NOT OK: enumeration.response - "user not found" (404) vs "wrong password" (401); rate-limit - no limit at all
    if not user:
        raise HTTPException(404, "user not found")
    # NOT OK: a fast unsalted hash (see passwords.py), compared with == (not in constant time)
    password_ok = hash_password(str(body.get("password", ""))) == user.get("password_hash")
    if not password_ok:
        raise HTTPException(401, "wrong password")
    # NOT OK: account-state.missing-attribute - an item without `enabled` or `email_confirmed` counts as active
    if not user.get("enabled", True) or not user.get("email_confirmed", True):
        raise HTTPException(403, "account disabled")
    claims = {"sub": user["user_id"], "role": user.get("role"), "exp": int(time.time()) + 3600}
    return {"access_token": jwt.encode(claims, SECRET, algorithm="HS256")}


@app.post("/logout")
def logout(user: dict = Depends(current_user)):
    # NOT OK: jwt.after-logout - nothing is revoked: the token stays valid until it expires
    return {"logged_out": user["sub"]}


@app.post("/password-reset")
def password_reset(body: dict):
    # NOT OK: enumeration.response - tells whether an account exists
    if not find_user(str(body.get("email", ""))):
        raise HTTPException(404, "no account with this email")
    return {"detail": "reset link sent"}


@app.get("/users/{user_id}/profile")
def get_profile(user_id: str, user: dict = Depends(current_user)):
    # NOT OK: bola.read - no check that user_id is the caller; exposure - returns the password hash
    item = profiles.get_item(Key={"user_id": user_id}).get("Item")
    if not item:
        raise HTTPException(404, "not found")
    return item


@app.put("/users/{user_id}/profile")
def put_profile(user_id: str, body: dict, user: dict = Depends(current_user)):
    # NOT OK: bola.write - writes anyone's profile; mass-assignment - every body field lands in the item
    names, values, sets = {}, {}, []
    for i, (k, v) in enumerate(body.items()):
        names[f"#f{i}"], values[f":v{i}"] = k, v
        sets.append(f"#f{i} = :v{i}")
    if not sets:
        raise HTTPException(400, "empty body")
    profiles.update_item(Key={"user_id": user_id}, UpdateExpression="SET " + ", ".join(sets),
                         ExpressionAttributeNames=names, ExpressionAttributeValues=values)
    return {"updated": user_id}


@app.get("/profiles")
def list_profiles():
    # NOT OK: authn.missing - no authentication at all, and a Scan of every profile
    return {"profiles": [{"user_id": p["user_id"], "display_name": p.get("display_name")}
                         for p in profiles.scan()["Items"]]}


@app.get("/admin/stats")
def admin_stats(user: dict = Depends(current_user)):
    # NOT OK: bfla - any signed-in user gets the admin statistics (no role check)
    items = profiles.scan()["Items"]
    return {"profiles": len(items), "emails": sorted(p.get("email", "") for p in items)}


@app.get("/posts")
def posts_by_topic(topic: str = "cats", user: dict = Depends(current_user)):
    # NOT OK: bola.list - Query on the by_topic GSI without owner scoping returns everyone's posts
    # NOT OK: exposure.pii - each post carries its author's email (BatchGetItem of the authors' profiles)
    items = posts.query(IndexName="by_topic", KeyConditionExpression=Key("topic").eq(topic))["Items"]
    owners = sorted({p["owner_id"] for p in items})
    authors = {}
    if owners:
        got = ddb.batch_get_item(RequestItems={profiles.name: {"Keys": [{"user_id": o} for o in owners]}})
        authors = {a["user_id"]: a for a in got["Responses"].get(profiles.name, [])}
    return [{**p, "author_email": authors.get(p["owner_id"], {}).get("email")} for p in items]


@app.get("/me/posts")
def my_posts(user: dict = Depends(current_user)):
    # NOT OK: bola.filter-scoped - Scans every owner's posts, filters on the owner afterwards
    return posts.scan(FilterExpression=Attr("owner_id").eq(user["sub"]))["Items"]


@app.delete("/users/{user_id}/posts/{post_id}")
def delete_post(user_id: str, post_id: str, user: dict = Depends(current_user)):
    # NOT OK: bola.write - deletes anyone's post
    posts.delete_item(Key={"owner_id": user_id, "post_id": post_id})
    return {"deleted": post_id}


@app.get("/users/{user_id}/notes/{note_id}")
def get_note(user_id: str, note_id: str, request: Request, user: dict = Depends(current_user)):
    # NOT OK: errors - the DynamoDB error (table, key schema) goes back to the client
    if user["sub"] != user_id:
        raise HTTPException(403, "forbidden")
    try:
        item = posts.get_item(Key={"owner_id": user_id, "post_id": note_id}).get("Item")
    except Exception as e:  # noqa: BLE001
        return {"error": str(e), "table": posts.name}
    return item or {}


@app.post("/posts")
def create_post(body: dict, user: dict = Depends(current_user)):
    # NOT OK: mass-assignment.owner - the body is spread last, so its owner_id wins over the caller's;
    # mass-assignment.privilege - any other field (role, is_admin, ...) lands in the item too
    item = {"owner_id": user["sub"], "post_id": uuid.uuid4().hex, **body}
    posts.put_item(Item=item)
    return {"post_id": item["post_id"]}


@app.delete("/admin/users/{user_id}")
def admin_delete_user(user_id: str, user: dict = Depends(current_user)):
    # NOT OK: bfla - any signed-in user may delete any account (no role check)
    profiles.delete_item(Key={"user_id": user_id})
    return {"deleted": user_id}


class Plan(IntEnum):
    free = 1
    pro = 2
    team = 3


class SignUp(BaseModel):
    username: str = Field(min_length=3, max_length=32, pattern=r"^[a-z][a-z0-9-]+$")
    email: EmailStr
    password: str = Field(min_length=8, max_length=128)
    display_name: str = Field(min_length=1, max_length=80)
    plan: Plan = Plan.free
    role: Literal["user", "admin"] = "user"


@app.post("/signup", status_code=201)
def signup(body: SignUp):
    # NOT OK: mass-assignment.privilege - the declared `role` (and `plan`) are stored as given: anyone signs up
    # as an admin on the team plan; enumeration.response - 409 for a taken user name, 201 for a new one
    item = {"user_id": body.username, "email": body.email.lower(), "display_name": body.display_name,
            "plan": int(body.plan), "role": body.role, "password_hash": hash_password(body.password),
            "enabled": True, "email_confirmed": True}
    try:
        profiles.put_item(Item=item, ConditionExpression=Attr("user_id").not_exists())
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        raise HTTPException(409, "user name taken") from None
    return {"user_id": body.username, "role": body.role}


@app.get("/posts/search")
def search_posts(q: str = Query(min_length=2, max_length=50), user: dict = Depends(current_user)):
    # OK: only the caller's own posts (a Query on its own partition), matched here
    items = posts.query(KeyConditionExpression=Key("owner_id").eq(user["sub"]))["Items"]
    return [p for p in items if q.lower() in str(p.get("body", "")).lower() or q == p.get("topic")]


class Report(BaseModel):
    reason: Literal["spam", "abuse", "other"]
    detail: str = Field(default="", max_length=500)


@app.post("/posts/{owner_id}/{post_id}/reports", status_code=201)
def report_post(owner_id: str, post_id: str, body: Report):
    # NOT OK: authn.missing - no authentication at all: anyone files reports, as often as they like
    item = {"owner_id": "reports", "post_id": uuid.uuid4().hex, "about": f"{owner_id}/{post_id}",
            "reason": body.reason, "detail": body.detail}
    posts.put_item(Item=item)
    return {"report_id": item["post_id"]}
