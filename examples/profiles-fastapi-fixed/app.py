"""profiles, fixed: the same service with each flaw remediated. authgate must find nothing here.

Each remediation is marked `# OK:` with what makes it safe.
"""

import os
import time
import uuid

import boto3
import jwt
from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError
from fastapi import Depends, FastAPI, Header, HTTPException
from pydantic import BaseModel, ConfigDict, Field

app = FastAPI(title="profiles (fixed)")
ddb = boto3.resource("dynamodb")
profiles = ddb.Table(os.environ.get("PROFILES_TABLE", "profiles"))
posts = ddb.Table(os.environ.get("POSTS_TABLE", "posts"))
SECRET = os.environ["JWT_SECRET"]  # OK: a strong secret from the environment, never in code


def current_user(authorization: str = Header(default="")) -> dict:
    scheme, _, token = authorization.partition(" ")
    if scheme != "Bearer" or not token:
        raise HTTPException(401, "missing token", headers={"WWW-Authenticate": "Bearer"})
    try:
        # OK: signature verified, algorithm pinned, exp required
        return jwt.decode(token, SECRET, algorithms=["HS256"], options={"require": ["exp", "sub"]})
    except jwt.PyJWTError:
        raise HTTPException(401, "invalid token", headers={"WWW-Authenticate": "Bearer"}) from None


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


@app.post("/login")
def login(body: dict):
    rows = profiles.query(IndexName="by_email", KeyConditionExpression=Key("email").eq(str(body.get("email", ""))))
    user = (rows.get("Items") or [None])[0]
    if not user:
        raise HTTPException(401, "bad credentials")
    token = jwt.encode({"sub": user["user_id"], "exp": int(time.time()) + 900}, SECRET, algorithm="HS256")
    return {"access_token": token}


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
