"""A Serverless Framework function (tests of the serverless.yml reader)."""

import json
import os


def get_order(event, context):
    claims = ((event.get("requestContext") or {}).get("authorizer") or {}).get("jwt", {}).get("claims", {})
    body = {"table": os.environ.get("ORDERS_TABLE"), "sub": claims.get("sub"), "params": event.get("pathParameters")}
    return {"statusCode": 200, "body": json.dumps(body)}
