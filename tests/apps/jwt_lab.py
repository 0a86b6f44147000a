"""jwt lab: an RS256 service with one token-verification flaw per route (do not deploy).

The gate mints RS256 tokens and hands the public key in JWT_PUBLIC_KEY. Every route answers the
caller's items from DynamoDB; each is marked `# NOT OK:` with the finding authgate must report
on it, or `# OK:`. Routes under /hdr/ verify tokens correctly but mishandle the header itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
import urllib.request
from pathlib import Path

import boto3
import jwt
from boto3.dynamodb.conditions import Key
from fastapi import FastAPI, Header, HTTPException, Request
from jwt.algorithms import RSAAlgorithm

app = FastAPI(title="jwt lab")
items = boto3.resource("dynamodb").Table(os.environ.get("ITEMS_TABLE", "items"))
PUBLIC = os.environ["JWT_PUBLIC_KEY"]
KEY_DIR = Path(__file__).parent
HMAC_KEYS: dict[str, bytes] = {}  # kid -> key; none configured
VERIFIED: set[str] = set()  # signatures seen valid once


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _token(authorization: str) -> str:
    scheme, _, token = authorization.partition(" ")
    if scheme != "Bearer" or not token:
        raise HTTPException(401, "missing token")
    return token


def _header(token: str) -> dict:
    try:
        return jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise HTTPException(401, "invalid token") from None


def _payload(token: str) -> dict:
    try:
        return json.loads(_b64(token.split(".")[1]))
    except (ValueError, IndexError):
        raise HTTPException(401, "invalid token") from None


def _strict(token: str, **options: bool) -> dict:
    try:
        return jwt.decode(token, PUBLIC, algorithms=["RS256"], options={"require": ["exp"], **options})
    except jwt.PyJWTError:
        raise HTTPException(401, "invalid token") from None


def _hs256(token: str, key: bytes) -> dict:
    """A hand-rolled HS256 check (PyJWT would refuse these keys)."""
    head, _, sig = token.rpartition(".")
    good = hmac.new(key, head.encode(), hashlib.sha256).digest()
    if _header(token).get("alg") != "HS256" or not hmac.compare_digest(good, _b64(sig)):
        raise HTTPException(401, "invalid token")
    claims = _payload(token)
    if claims.get("exp", 0) < time.time():
        raise HTTPException(401, "expired")
    return claims


def _items(claims: dict) -> list:
    return items.query(KeyConditionExpression=Key("owner").eq(str(claims.get("sub"))))["Items"]


@app.get("/lab/strict")
def strict(authorization: str = Header(default="")):
    # OK: RS256 pinned, exp required
    return _items(_strict(_token(authorization)))


@app.get("/lab/unverified")
def unverified(authorization: str = Header(default="")):
    # NOT OK: jwt.other-key - the signature is never verified
    return _items(_payload(_token(authorization)))


@app.get("/lab/none")
def alg_none(authorization: str = Header(default="")):
    # NOT OK: jwt.alg-none - an unsigned token is taken at its word
    token = _token(authorization)
    if str(_header(token).get("alg", "")).lower() == "none":
        return _items(_payload(token))
    return _items(_strict(token))


@app.get("/lab/nullsig")
def null_signature(authorization: str = Header(default="")):
    # NOT OK: jwt.null-signature - "no signature, nothing to check"
    token = _token(authorization)
    if token.endswith("."):
        return _items(_payload(token))
    return _items(_strict(token))


@app.get("/lab/emptykey")
def empty_key(authorization: str = Header(default="")):
    # NOT OK: jwt.empty-key - an unknown kid falls back to an empty HMAC key
    token = _token(authorization)
    head = _header(token)
    if head.get("alg") == "HS256":
        return _items(_hs256(token, HMAC_KEYS.get(str(head.get("kid")), b"")))
    return _items(_strict(token))


@app.get("/lab/confusion")
def confusion(authorization: str = Header(default="")):
    # NOT OK: jwt.alg-confusion - the algorithm comes from the token; HS256 is checked with the public key
    token = _token(authorization)
    if _header(token).get("alg") == "HS256":
        return _items(_hs256(token, PUBLIC.encode()))
    return _items(_strict(token))


@app.get("/lab/sigcache")
def signature_cache(authorization: str = Header(default="")):
    # NOT OK: jwt.sub-swap - verification is cached by signature, so a known signature vouches for any payload
    token = _token(authorization)
    sig = token.rpartition(".")[2]
    if sig in VERIFIED:
        return _items(_payload(token))
    claims = _strict(token)
    VERIFIED.add(sig)
    return _items(claims)


@app.get("/lab/kid")
def kid_file(authorization: str = Header(default="")):
    # NOT OK: jwt.kid-injection - kid is a file name under KEY_DIR (path traversal)
    token = _token(authorization)
    head = _header(token)
    if "kid" in head:
        try:
            key = (KEY_DIR / str(head["kid"])).read_bytes()
        except OSError:
            raise HTTPException(401, "unknown key") from None
        return _items(_hs256(token, key))
    return _items(_strict(token))


@app.get("/lab/jwk")
def embedded_jwk(authorization: str = Header(default="")):
    # NOT OK: jwt.jwk-injection - the key embedded in the token verifies the token
    token = _token(authorization)
    head = _header(token)
    if "jwk" in head:
        key = RSAAlgorithm.from_jwk(json.dumps(head["jwk"]))
        try:
            return _items(jwt.decode(token, key, algorithms=["RS256"]))
        except jwt.PyJWTError:
            raise HTTPException(401, "invalid token") from None
    return _items(_strict(token))


@app.get("/lab/jku")
def fetched_jku(authorization: str = Header(default="")):
    # NOT OK: jwt.jku-injection - the key set is fetched from the URL in the token
    token = _token(authorization)
    head = _header(token)
    if "jku" in head:
        with urllib.request.urlopen(str(head["jku"]), timeout=3) as r:
            keys = json.load(r)["keys"]
        jwk = next((k for k in keys if k.get("kid") == head.get("kid")), keys[0])
        try:
            return _items(jwt.decode(token, RSAAlgorithm.from_jwk(json.dumps(jwk)), algorithms=["RS256"]))
        except jwt.PyJWTError:
            raise HTTPException(401, "invalid token") from None
    return _items(_strict(token))


@app.get("/lab/expired")
def no_exp_check(authorization: str = Header(default="")):
    # NOT OK: jwt.expired - exp is required but not checked
    return _items(_strict(_token(authorization), verify_exp=False))


@app.get("/lab/nbf")
def no_nbf_check(authorization: str = Header(default="")):
    # NOT OK: jwt.nbf-ignored - nbf is not checked
    return _items(_strict(_token(authorization), verify_nbf=False))


@app.get("/lab/noexp")
def exp_optional(authorization: str = Header(default="")):
    # NOT OK: jwt.no-exp - PyJWT's default: exp is checked when present, but not required
    try:
        return _items(jwt.decode(_token(authorization), PUBLIC, algorithms=["RS256"]))
    except jwt.PyJWTError:
        raise HTTPException(401, "invalid token") from None


@app.get("/hdr/empty-bearer")
def empty_bearer(authorization: str = Header(default="")):
    # NOT OK: authn.empty-bearer - "Bearer" without a token is taken for an internal call
    scheme, _, token = authorization.partition(" ")
    if scheme != "Bearer":
        raise HTTPException(401, "missing token")
    if not token:
        return items.scan()["Items"]
    return _items(_strict(token))


@app.get("/hdr/lowercase")
def lowercase(authorization: str = Header(default="")):
    # NOT OK: authn.lowercase-scheme - only "Bearer " is verified; any other spelling passes as a service token
    if authorization.startswith("Bearer "):
        return _items(_strict(authorization[7:]))
    if authorization.lower().startswith("bearer "):
        return items.scan()["Items"]
    raise HTTPException(401, "missing token")


@app.get("/hdr/scheme")
def other_scheme(authorization: str = Header(default="")):
    # NOT OK: authn.wrong-scheme - Basic credentials are let in without checking them (legacy clients)
    if authorization.startswith("Basic "):
        return items.scan()["Items"]
    return _items(_strict(_token(authorization)))


@app.get("/hdr/query")
def query_token(request: Request, authorization: str = Header(default="")):
    # NOT OK: authn.token-in-query - the token may come in the URL
    token = request.query_params.get("access_token") or _token(authorization)
    return _items(_strict(token))
