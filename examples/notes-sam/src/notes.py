"""Notes handlers behind an HTTP API (payload 2.0) with a Cognito JWT authorizer (authgate example).

VULNERABLE on purpose: each flaw is marked NOT OK. API Gateway verifies the token; the caller is
event["requestContext"]["authorizer"]["jwt"]["claims"]["sub"].
"""

import json
import logging
import os
import time
import uuid

import boto3
import jwt
from boto3.dynamodb.conditions import Key

NOTES = boto3.resource("dynamodb").Table(os.environ["NOTES_TABLE"])
LOG = logging.getLogger()
LOG.setLevel(logging.INFO)


def _sub(event):
    return event.get("requestContext", {}).get("authorizer", {}).get("jwt", {}).get("claims", {}).get("sub")


def _viewer(event):
    """Who is looking, for the answer's greeting: the token's subject, read without verifying it."""
    token = (event.get("headers") or {}).get("authorization", "").removeprefix("Bearer ")
    if not token:
        return None
    try:
        # NOT OK: static.jwt-unverified - on /recent no authorizer verified this token
        return jwt.decode(token, options={"verify_signature": False}).get("sub")
    except jwt.PyJWTError:
        return None


def _json(status, body):
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(body, default=str),
    }


def get_note(event, context):
    # NOT OK: static.lambda-event-logged - the event carries the caller's bearer token
    LOG.info("get_note %s", json.dumps(event))
    note_id = (event.get("pathParameters") or {}).get("note_id", "")
    item = NOTES.get_item(Key={"note_id": note_id}).get("Item")
    # NOT OK: bola.read - the note is returned whoever owns it
    if item is None:
        return _json(404, {"message": "no such note"})
    return _json(200, item)


def list_notes(event, context):
    # OK: the caller's own notes, through the owner index
    items = NOTES.query(IndexName="by_owner", KeyConditionExpression=Key("owner_id").eq(_sub(event)))["Items"]
    return _json(200, {"notes": items})


def create_note(event, context):
    # OK: the owner is the caller, whatever the body says
    body = json.loads(event.get("body") or "{}")
    item = {"note_id": uuid.uuid4().hex, "owner_id": _sub(event), "text": str(body.get("text", ""))[:2000]}
    NOTES.put_item(Item=item)
    return _json(201, item)


def recent(event, context):
    # NOT OK: served without an authorizer, and every owner's notes come back
    items = NOTES.scan(Limit=50)["Items"]
    items.sort(key=lambda i: i.get("created", 0), reverse=True)
    return _json(200, {"generated": int(time.time()), "viewer": _viewer(event), "notes": items[:10]})
