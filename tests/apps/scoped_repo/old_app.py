"""The first single-file version of the service: nothing imports or runs it any more."""

import boto3
from fastapi import FastAPI

app = FastAPI()
table = boto3.resource("dynamodb", endpoint_url="http://dynamodb.internal:8000").Table("items")


@app.get("/items/{owner_id}/{item_id}")
def read_item(owner_id: str, item_id: str):
    try:
        return table.get_item(Key={"owner_id": owner_id, "item_id": item_id})["Item"]
    except Exception as e:
        return {"error": str(e)}  # NOT OK, but dead: static.error-leak must not be reported
