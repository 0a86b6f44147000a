"""boto3 clients of the gate itself (never the service's): dummy credentials, the given endpoint."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config as BotoConfig

from gate.dynamo.local import DUMMY_CREDENTIALS


def dynamodb_client(endpoint: str) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=DUMMY_CREDENTIALS["AWS_DEFAULT_REGION"],
        aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        config=BotoConfig(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=3, read_timeout=10),
    )
