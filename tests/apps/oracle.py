"""A test service for the oracle's checks: each route is `# NOT OK: <check>` or `# OK: <why>`.

Scanned once per session (tests/conftest.py `oracle_report`, config `ORACLE_CONFIG` there); the tests
assert the exact findings: every NOT OK route found by its check, no OK route reported at all.
"""

import os
import traceback
import uuid
from typing import Annotated

import boto3
import jwt
from botocore.exceptions import ClientError
from fastapi import Depends, FastAPI, Header, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel

app = FastAPI(title="oracle test service")
ddb = boto3.resource("dynamodb")
accounts = ddb.Table(os.environ["ACCOUNTS_TABLE"])
docs = ddb.Table(os.environ["DOCS_TABLE"])
topics = ddb.Table(os.environ["TOPICS_TABLE"])
SECRET = os.environ["JWT_SECRET"]


def caller(authorization: str = Header(default="")) -> dict:
    scheme, _, token = authorization.partition(" ")
    if scheme != "Bearer" or not token:
        raise HTTPException(401, "missing token")
    try:
        return jwt.decode(token, SECRET, algorithms=["HS256"])
    except jwt.PyJWTError:
        raise HTTPException(401, "invalid token") from None


User = Annotated[dict, Depends(caller)]


def owner(account_id: str, user: User) -> dict:
    if user["sub"] != account_id:
        raise HTTPException(403, "forbidden")
    return user


def admin(user: User) -> dict:
    if user.get("role") != "admin":
        raise HTTPException(403, "forbidden")
    return user


Owner = Annotated[dict, Depends(owner)]
Admin = Annotated[dict, Depends(admin)]


# -- bola -------------------------------------------------------------------------------------


@app.get("/accounts/{account_id}/exists")
def account_exists(account_id: str, user: User):
    # NOT OK: bola.read - reads anyone's item; the answer hides the data, the recorder still sees the GetItem
    return {"exists": "Item" in accounts.get_item(Key={"account_id": account_id})}


@app.get("/accounts/{account_id}/echo")
def echo_account(account_id: str, user: User):
    # OK: echoes the requested id back without reading anything; bob's id in alice's answer is alice's own input
    return {"asked_for": account_id}


@app.get("/accounts/{account_id}/seen")
def mark_seen(account_id: str, user: Owner):
    # OK: stamps the owner's own item (a write outside any destructive probe); never blamed on a later probe
    accounts.update_item(
        Key={"account_id": user["sub"]},
        UpdateExpression="SET last_seen = :t",
        ExpressionAttributeValues={":t": uuid.uuid4().hex},
    )
    return {"seen": True}


@app.get("/topics")
def list_topics(user: User, prefix: str = "g"):
    # OK: a catalogue of unowned items; the filter drops topics, never another identity's data
    rows = topics.scan(FilterExpression="begins_with(topic, :p)", ExpressionAttributeValues={":p": prefix})
    return {"topics": [r["topic"] for r in rows["Items"]]}


@app.get("/motd")
def message_of_the_day():
    # OK: a public constant that happens to equal a seeded title; no DynamoDB call, so no data served
    return {"motd": "A doc"}


# -- bfla -------------------------------------------------------------------------------------


@app.get("/internal/accounts")
def internal_accounts(user: User):
    # NOT OK: bfla - an internal route with no role check
    return {"names": sorted(a["name"] for a in accounts.scan()["Items"])}


@app.get("/reports/summary")
def report_summary(user: User):
    # NOT OK: bfla - privileged by the config (checks.admin_paths), no role check
    return {"accounts": accounts.scan(Select="COUNT")["Count"]}


@app.get("/admin/accounts")
def admin_accounts(user: Admin):
    # OK: role checked before the Scan
    return {"names": sorted(a["name"] for a in accounts.scan()["Items"])}


@app.get("/admin/self-service")
def misnamed_self_service(user: User):
    # OK: misnamed, not privileged: the admin itself is refused, so a regular user's 200 proves nothing
    if user.get("role"):
        raise HTTPException(403, "regular accounts only")
    return {"name": accounts.get_item(Key={"account_id": user["sub"]}).get("Item", {}).get("name")}


# -- mass assignment --------------------------------------------------------------------------


@app.patch("/accounts/{account_id}")
def patch_account(account_id: str, body: dict, user: Owner):
    # NOT OK: mass-assignment.privilege - every body field is written to the caller's own item
    fields = {k: v for k, v in body.items() if k != "account_id"}
    names = {f"#f{i}": k for i, k in enumerate(fields)}
    values = {f":v{i}": v for i, v in enumerate(fields.values())}
    accounts.update_item(
        Key={"account_id": user["sub"]},
        UpdateExpression="SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(fields))),
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
    )
    return {"updated": user["sub"]}


@app.patch("/accounts/{account_id}/name")
def patch_name(account_id: str, body: dict, user: Owner):
    # OK: allow-list in code: only `name` is read from the body
    accounts.update_item(
        Key={"account_id": user["sub"]},
        UpdateExpression="SET #n = :n",
        ExpressionAttributeNames={"#n": "name"},
        ExpressionAttributeValues={":n": str(body.get("name", ""))[:100]},
    )
    return {"updated": user["sub"]}


@app.post("/docs")
def create_doc(body: dict, user: User):
    # NOT OK: mass-assignment.owner - the body may overwrite `owner` (a `role` landing in a doc grants nothing:
    # not a mass-assignment.privilege finding, docs are not accounts)
    item = {"owner": user["sub"], "doc_id": uuid.uuid4().hex}
    item.update(body)
    docs.put_item(Item=item)
    return {"doc_id": item["doc_id"]}


class DocIn(BaseModel):  # pydantic's default drops unknown fields
    title: str = "untitled"


@app.post("/docs/safe")
def create_doc_safe(body: DocIn, user: User):
    # OK: a model without owner or privilege fields; the owner comes from the token
    item = {"title": body.title, "owner": user["sub"], "doc_id": uuid.uuid4().hex}
    docs.put_item(Item=item)
    return {"doc_id": item["doc_id"]}


# -- exposure ---------------------------------------------------------------------------------


@app.get("/accounts/{account_id}")
def get_account(account_id: str, user: Owner):
    # NOT OK: exposure.secret - returns the stored MFA secret to its owner
    item = accounts.get_item(Key={"account_id": user["sub"]}).get("Item") or {}
    return {k: item.get(k) for k in ("account_id", "name", "mfa_secret")}


@app.get("/accounts/{account_id}/public")
def get_account_public(account_id: str, user: Owner):
    # OK: only public fields
    item = accounts.get_item(Key={"account_id": user["sub"]}).get("Item") or {}
    return {"account_id": item.get("account_id"), "name": item.get("name")}


@app.get("/me/contacts")
def my_contacts(user: User):
    # NOT OK: exposure.pii - the caller's own item carries another user's email, returned as is
    item = accounts.get_item(Key={"account_id": user["sub"]}).get("Item") or {}
    return {"manager": item.get("manager_email")}


# -- errors -----------------------------------------------------------------------------------


@app.get("/docs/{doc_id}")
def get_doc(doc_id: str, user: User):
    # NOT OK: errors.leak - a DynamoDB error goes back with its stack trace
    try:
        return docs.get_item(Key={"owner": user["sub"], "doc_id": doc_id}).get("Item") or {}
    except ClientError:
        return JSONResponse({"trace": traceback.format_exc()}, status_code=500)


@app.get("/docs/{doc_id}/safe")
def get_doc_safe(doc_id: str, user: User):
    # OK: a generic answer; the details stay in the server log
    try:
        item = docs.get_item(Key={"owner": user["sub"], "doc_id": doc_id}).get("Item")
    except ClientError:
        raise HTTPException(404, "not found") from None
    return {"title": (item or {}).get("title")}
