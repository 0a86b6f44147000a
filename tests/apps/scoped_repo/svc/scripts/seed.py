"""Dev script: seeds a local DynamoDB (never run by the service)."""

import boto3

ddb = boto3.client("dynamodb", endpoint_url="http://localhost:8000")
