"""shared keys: three tables keyed (user_id, item_id), one resource per table, generated (do not deploy).

Every table shares its key names, so only the table a route touches tells which fixture fills its path:
a path filled from another table's item addresses nothing, and a missing owner check goes unseen. The
routes are made by one loop over RESOURCES; each entry is marked `# NOT OK:` with the findings
authgate must report on its routes, or `# OK:`.
"""

from __future__ import annotations

import os

import boto3
import jwt
from fastapi import FastAPI, Header, HTTPException
from pydantic import BaseModel

app = FastAPI(title="shared keys")
db = boto3.resource("dynamodb")
SECRET = os.environ["JWT_SECRET"]

RESOURCES = {
    "notes": False,  # NOT OK: bola.read and bola.write (the path's user_id is never checked)
    "tasks": False,  # NOT OK: bola.read and bola.write (the path's user_id is never checked)
    "files": True,  # OK: the path's user_id must be the caller's
}


class Change(BaseModel):
    title: str


def _caller(authorization: str) -> str:
    scheme, _, token = authorization.partition(" ")
    try:
        claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"require": ["exp"]})
        return str(claims["sub"]) if scheme == "Bearer" else ""
    except jwt.PyJWTError:
        raise HTTPException(401, "invalid token") from None


def _resource(name: str, owner_checked: bool) -> None:
    table = db.Table(name)

    def key(user_id: str, item_id: str, authorization: str) -> dict[str, str]:
        caller = _caller(authorization)
        if not caller or (owner_checked and user_id != caller):
            raise HTTPException(403, "not yours")
        return {"user_id": user_id, "item_id": item_id}

    @app.get(f"/{name}/{{user_id}}/{{item_id}}", operation_id=f"read_{name}")
    def read(user_id: str, item_id: str, authorization: str = Header("")) -> dict:
        item = table.get_item(Key=key(user_id, item_id, authorization)).get("Item")
        if item is None:
            raise HTTPException(404, "no such item")
        return item

    @app.put(f"/{name}/{{user_id}}/{{item_id}}", operation_id=f"change_{name}")
    def change(user_id: str, item_id: str, body: Change, authorization: str = Header("")) -> dict:
        k = key(user_id, item_id, authorization)
        table.update_item(Key=k, UpdateExpression="SET title = :t", ExpressionAttributeValues={":t": body.title})
        return k


for _name, _checked in RESOURCES.items():
    _resource(_name, _checked)
