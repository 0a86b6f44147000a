"""Functions that time out or take their worker down (tests of the local gateway)."""

import os
import time


def slow(event, context):
    time.sleep(3)
    return {"statusCode": 200, "body": "late"}


def crash(event, context):
    os._exit(3)
