"""A service that reads DynamoDB while it imports: it must see the seeded item, or it refuses to start."""

import sys

import boto3
from fastapi import FastAPI

item = boto3.resource("dynamodb").Table("profiles").get_item(Key={"user_id": "alice"}).get("Item")
if not item:
    print("startup: the seeded profile is missing")
    sys.exit(3)

app = FastAPI()


@app.get("/seen")
def seen() -> dict:
    return {"display_name": "seen at startup"}
