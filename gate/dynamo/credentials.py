"""The scan's AWS credentials: random per gate process, realistic in shape, never the same twice.

Two sets. The gate's own (`GATE`) keys DynamoDB Local's database: it runs without `-sharedDb`, so
it keeps one database per access key id and region, and the seeded tables live in the one of the
gate's key. The service gets other credentials (`SERVICE`); the recorder rewrites the credential
scope of every call it forwards to the gate's key and region. So a service that finds DynamoDB
Local's port and calls it directly, past the recorder, reaches an empty database of its own key
and none of the seeded data (issue 12: 161 recorded calls had become 98 that way, and 7 findings
vanished); a service that hard-codes its own credentials or region still reaches the tables
through the recorder. DynamoDB Local checks no signature, so the rewritten header is accepted.

Random values, not a fixed `authgate` key: a fixed dummy key told the service in one line that a
scanner was looking (a service can always try to detect one; the gate does not advertise itself).
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass

# Regions with DynamoDB, as a real deployment would name one.
_REGIONS = ("us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2", "ap-northeast-1")
_KEY_CHARS = string.ascii_uppercase + "234567"  # AWS access key ids: AKIA + 16 base32-like characters
_SECRET_CHARS = string.ascii_letters + string.digits + "+/"


@dataclass(frozen=True, slots=True)
class AwsCredentials:
    access_key_id: str
    secret_access_key: str
    region: str

    def env(self) -> dict[str, str]:
        """The variables every AWS SDK reads (boto3, botocore, the AWS CLI, the JS and Java SDKs)."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
        }


def _random(region: str) -> AwsCredentials:
    key = "AKIA" + "".join(secrets.choice(_KEY_CHARS) for _ in range(16))
    secret = "".join(secrets.choice(_SECRET_CHARS) for _ in range(40))
    return AwsCredentials(key, secret, region)


_REGION = secrets.choice(_REGIONS)
GATE = _random(_REGION)  # DynamoDB Local's database is keyed by this; nothing of the service ever sees it
SERVICE = _random(_REGION)  # what the service gets; rewritten to GATE's by the recorder
