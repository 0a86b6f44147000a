"""Items router: no prefix anywhere."""

from fastapi import APIRouter

router = APIRouter()


@router.delete("/items/{item_id}")
async def delete_item(item_id: int) -> dict:
    return {}
