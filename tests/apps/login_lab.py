"""login lab: login routes of every shape the gate must handle, and get wrong (no database).

POST /login         JSON, token at data.session.token
POST /login-cookie  token in the `session` cookie (and a `theme` cookie beside it)
POST /login-form    form-encoded body, token at access_token
POST /login-text    answers 200 with plain text (no token anywhere)
GET  /whoami        who the bearer token or the session cookie says you are
"""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, PlainTextResponse

app = FastAPI(title="login lab")
USERS = {"alice@example.test": "Alice-pass-1", "bob@example.test": "Bob-pass-1"}


def _check(body: dict) -> str:
    email = str(body.get("email", ""))
    if USERS.get(email) != body.get("password"):
        raise HTTPException(401, "bad credentials")
    return f"tok-{email.split('@')[0]}-0123456789"


@app.post("/login")
def login(body: dict):
    return {"data": {"session": {"token": _check(body)}}, "ok": True}


_waiting: list[asyncio.Event] = []


@app.post("/login-together")
async def login_together(body: dict):
    """Answers only when both identities' logins are in flight at once (a slow hash checked side by side)."""
    token = _check(body)
    mine = asyncio.Event()
    _waiting.append(mine)
    if len(_waiting) >= len(USERS):
        for ev in _waiting:
            ev.set()
        _waiting.clear()
    try:
        await asyncio.wait_for(mine.wait(), timeout=3)
    except TimeoutError:
        _waiting.remove(mine)
        raise HTTPException(409, "logged in alone: the other login never came while this one waited") from None
    return {"data": {"session": {"token": token}}}


@app.post("/login-cookie")
def login_cookie(body: dict):
    resp = JSONResponse({"ok": True})
    resp.set_cookie("theme", "dark")
    resp.set_cookie("session", _check(body), httponly=True)
    return resp


@app.post("/login-form")
async def login_form(request: Request):
    if request.headers.get("content-type") != "application/x-www-form-urlencoded":
        raise HTTPException(415, "form only")
    form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
    return {"access_token": _check(form)}


@app.post("/login-text")
def login_text(body: dict):
    _check(body)
    return PlainTextResponse("welcome back")


@app.get("/whoami")
def whoami(request: Request):
    auth = request.headers.get("authorization", "")
    token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else request.cookies.get("session", "")
    if not token.startswith("tok-"):
        raise HTTPException(401, "who are you?")
    return {"user": token.split("-")[1]}
