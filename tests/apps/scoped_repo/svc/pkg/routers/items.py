"""Items, keyed by owner_id (the user) and item_id. Each route is marked `# NOT OK:` or `# OK:`."""

from fastapi import APIRouter, Depends

from ..auth import caller
from ..db import items_table

router = APIRouter(prefix="/items")


@router.get("/count")
def count():
    # NOT OK: authn.missing - no authentication, and the Scan reads every owner's items
    return {"count": len(items_table.scan()["Items"])}


@router.get("/{owner_id}/{item_id}")
def read_item(owner_id: str, item_id: str, user: str = Depends(caller)):
    # NOT OK: bola.read - owner_id is never compared with the caller
    return items_table.get_item(Key={"owner_id": owner_id, "item_id": item_id}).get("Item") or {}
