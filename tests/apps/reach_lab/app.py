"""A service whose operations only validate for requests built from their schema (tests/checks/test_reach.py).

`/notes` needs an e-mail, an enum, a date and a required query parameter; `/signup` creates the
accounts the identities log in with (auth.register); `/webhook` needs an HMAC of the body that only
the holder of WEBHOOK_SECRET can make. Every flaw-free: the test is about reaching, not finding.
"""

import contextlib
import hashlib
import hmac
import os
import time
import uuid
from datetime import date
from enum import IntEnum
from typing import Annotated

import boto3
import jwt
from boto3.dynamodb.conditions import Attr, Key
from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request
from pydantic import BaseModel, Field

app = FastAPI()
ddb = boto3.resource("dynamodb")
users = ddb.Table("users")
notes = ddb.Table("notes")
SECRET = os.environ["JWT_SECRET"]
WEBHOOK_SECRET = os.environ.get("WEBHOOK_SECRET", "")


def current_user(authorization: Annotated[str, Header()] = "") -> str:
    scheme, _, token = authorization.partition(" ")
    try:
        return (
            str(jwt.decode(token, SECRET, algorithms=["HS256"], options={"require": ["exp"]})["sub"])
            if scheme.lower() == "bearer"
            else ""
        )
    except jwt.PyJWTError:
        raise HTTPException(401, "invalid token") from None


def signed_in(sub: Annotated[str, Depends(current_user)]) -> str:
    if not sub:
        raise HTTPException(401, "missing token")
    return sub


class SignUp(BaseModel):
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    password: str = Field(min_length=8)


@app.get("/health")
def health() -> dict:
    return {"ok": True}


@app.post("/signup", status_code=202)
def signup(body: SignUp) -> dict:
    digest = hashlib.sha256(body.password.encode()).hexdigest()  # a test app: the hash is not the point
    with contextlib.suppress(Exception):  # taken: the same answer
        users.put_item(Item={"email": body.email, "pw": digest}, ConditionExpression=Attr("email").not_exists())
    return {"status": "ok"}


@app.post("/login")
def login(body: SignUp) -> dict:
    user = users.get_item(Key={"email": body.email}).get("Item")
    if not user or user["pw"] != hashlib.sha256(body.password.encode()).hexdigest():
        raise HTTPException(401, "invalid credentials")
    return {"access_token": jwt.encode({"sub": body.email, "exp": int(time.time()) + 600}, SECRET, algorithm="HS256")}


class Priority(IntEnum):
    low = 1
    high = 2


class NoteIn(BaseModel):
    title: str = Field(min_length=1, max_length=40)
    priority: Priority
    due: date


@app.post("/notes", status_code=201)
def create_note(body: NoteIn, folder: Annotated[str, Query(min_length=2)], sub: Annotated[str, Depends(signed_in)]):
    item = {
        "owner": sub,
        "note_id": uuid.uuid4().hex,
        "title": body.title,
        "folder": folder,
        "priority": int(body.priority),
        "due": body.due.isoformat(),
    }
    notes.put_item(Item=item)
    return item


@app.get("/notes")
def list_notes(sub: Annotated[str, Depends(signed_in)]) -> list:
    return notes.query(KeyConditionExpression=Key("owner").eq(sub))["Items"]


class Event(BaseModel):
    note_id: str
    done: bool


@app.post("/webhook")
async def webhook(event: Event, request: Request, x_signature: Annotated[str, Header()]) -> dict:
    expected = hmac.new(WEBHOOK_SECRET.encode(), await request.body(), hashlib.sha256).hexdigest()
    if not WEBHOOK_SECRET or not hmac.compare_digest(x_signature, expected):
        raise HTTPException(401, "bad signature")
    return {"ok": event.done}
