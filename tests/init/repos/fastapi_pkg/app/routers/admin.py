from fastapi import APIRouter

from app.db import items_table
from app.security import Admin

router = APIRouter(prefix="/admin")


@router.get("/count")
def count(user: Admin):
    # OK: admins only
    return {"count": items_table.scan(Select="COUNT")["Count"]}
