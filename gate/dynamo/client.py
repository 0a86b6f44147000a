"""boto3 clients of the gate itself (never the service's): the gate's own random key, the given endpoint."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config as BotoConfig

from gate.dynamo.credentials import GATE


def dynamodb_client(endpoint: str) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=GATE.region,
        aws_access_key_id=GATE.access_key_id,
        aws_secret_access_key=GATE.secret_access_key,
        config=BotoConfig(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=3, read_timeout=10),
    )
