"""Loaded by name from pkg.main (importlib): part of the service."""

import os

import boto3


def queue():
    # NOT OK: static.plain-http-endpoint - the audit queue's default endpoint is plain HTTP
    return boto3.client("sqs", endpoint_url=os.environ.get("AUDIT_QUEUE_URL", "http://audit.internal:9324"))
