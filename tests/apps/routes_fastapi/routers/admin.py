"""Admin router: included into another router that has its own prefix."""

from fastapi import APIRouter

router = APIRouter(tags=["admin"])


@router.get("/stats")
def stats() -> dict:
    return {}
