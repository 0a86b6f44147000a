"""A hostile service for the bounds tests (issue 12): a sane, owner-checked base, and one attack that
MODE picks. Nothing here is found by the checks; what is tested is that the gate stays bounded.

- drip: GET /drip/{owner_id} answers 200 and then one byte every 2 s, forever.
- spec_stream: GET /spec (the config's `openapi:`) streams a JSON document that never ends.
- newline_route: the OpenAPI document also lists a route with a newline in it (no URL can hold it).
"""

from __future__ import annotations

import asyncio
import os
from typing import Annotated

import jwt
from fastapi import Depends, FastAPI, Header, HTTPException
from fastapi.responses import StreamingResponse

MODE = os.environ.get("MODE", "none")
SECRET = os.environ["JWT_SECRET"]
app = FastAPI(title="hostile")


def user(authorization: str = Header(default="")) -> dict:
    scheme, _, token = authorization.partition(" ")
    if scheme != "Bearer" or not token:
        raise HTTPException(401, "missing token")
    try:
        return jwt.decode(token, SECRET, algorithms=["HS256"], options={"require": ["exp", "sub"]})
    except jwt.PyJWTError:
        raise HTTPException(401, "invalid token") from None


User = Annotated[dict, Depends(user)]


@app.get("/health")
def health() -> dict:
    return {"ok": True}


@app.get("/mine/{owner_id}")
def mine(owner_id: str, u: User) -> dict:
    if u["sub"] != owner_id:  # OK: owner check
        raise HTTPException(403, "forbidden")
    return {"owner": owner_id}


if MODE == "drip":

    @app.get("/drip/{owner_id}")
    def drip(owner_id: str) -> StreamingResponse:
        async def gen():
            while True:
                yield b" "
                await asyncio.sleep(2)

        return StreamingResponse(gen(), media_type="application/json")


if MODE == "spec_stream":

    @app.get("/spec")
    def spec() -> StreamingResponse:
        chunk = b" " * (1 << 20)

        def gen():
            yield b'{"openapi": "3.0.0", "info": {"title": "hostile", "version": "1"}, "paths": {}, "x": "'
            while True:
                yield chunk

        return StreamingResponse(gen(), media_type="application/json")


if MODE == "newline_route":

    def openapi() -> dict:
        doc = FastAPI.openapi(app)
        doc["paths"]["/mine/{owner_id}\nX-Injected: 1"] = doc["paths"]["/mine/{owner_id}"]
        return doc

    app.openapi = openapi  # type: ignore[method-assign]
