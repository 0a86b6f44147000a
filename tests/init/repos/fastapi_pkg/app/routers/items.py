"""Items keyed by owner_id and item_id, with a GSI by sku. `# OK:` / `# NOT OK:` per route."""

from boto3.dynamodb.conditions import Key
from fastapi import APIRouter, HTTPException

from app.db import items_table
from app.security import Caller

router = APIRouter()


@router.get("/")
def my_items(user: Caller):
    # OK: the caller's own items
    return items_table.query(KeyConditionExpression=Key("owner_id").eq(user["id"]))["Items"]


@router.get("/{owner_id}/{item_id}")
def read_item(owner_id: str, item_id: str, user: Caller):
    # NOT OK: bola.read - owner_id is never compared with the caller
    item = items_table.get_item(Key={"owner_id": owner_id, "item_id": item_id}).get("Item")
    if item is None:
        raise HTTPException(404, "no such item")
    return item
