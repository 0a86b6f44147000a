"""Answers with the event it got (tests of the local gateway) and counts its invocations (warm worker)."""

import json
import os

CALLS = {"n": 0}


def handler(event, context):
    CALLS["n"] += 1
    print(f"echo call {CALLS['n']} in {os.environ.get('AWS_LAMBDA_FUNCTION_NAME')}")
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json", "x-single": "one"},
        "multiValueHeaders": {"x-multi": ["a", "b"]},
        "body": json.dumps(
            {
                "event": event,
                "calls": CALLS["n"],
                "env": {k: os.environ.get(k) for k in ("STAGE_NAME", "FLAG", "AWS_ENDPOINT_URL_DYNAMODB")},
                "remaining": context.get_remaining_time_in_millis(),
                "function": context.function_name,
            }
        ),
    }
