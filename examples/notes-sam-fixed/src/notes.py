"""Notes handlers behind an HTTP API (payload 2.0) with a Cognito JWT authorizer (authgate example).

The fixed twin: every read is scoped to the caller, every route is behind the authorizer, only
the route is logged. API Gateway verifies the token; the caller is
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
        # OK (a note): every route of this file is behind the JWT authorizer, which verified the token
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
    LOG.info("get_note %s", event.get("routeKey"))  # OK: the route, never the event
    note_id = (event.get("pathParameters") or {}).get("note_id", "")
    item = NOTES.get_item(Key={"note_id": note_id}).get("Item")
    # OK: another owner's note is answered like a missing one
    if item is None or item.get("owner_id") != _sub(event):
        return _json(404, {"message": "no such note"})
    return _json(200, item)


def list_notes(event, context):
    items = NOTES.query(IndexName="by_owner", KeyConditionExpression=Key("owner_id").eq(_sub(event)))["Items"]
    return _json(200, {"notes": items})


def create_note(event, context):
    body = json.loads(event.get("body") or "{}")
    item = {"note_id": uuid.uuid4().hex, "owner_id": _sub(event), "text": str(body.get("text", ""))[:2000]}
    NOTES.put_item(Item=item)
    return _json(201, item)


def recent(event, context):
    # OK: the caller's own notes, newest first
    items = NOTES.query(IndexName="by_owner", KeyConditionExpression=Key("owner_id").eq(_sub(event)))["Items"]
    items.sort(key=lambda i: i.get("created", 0), reverse=True)
    return _json(200, {"generated": int(time.time()), "viewer": _viewer(event), "notes": items[:10]})
