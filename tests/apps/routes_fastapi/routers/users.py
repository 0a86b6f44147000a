"""Users router: prefix at construction, more prefix at include time."""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query
from pydantic import BaseModel

router = APIRouter(prefix="/users")


class UserIn(BaseModel):
    name: str
    age: int
    tags: list[str] = []


def caller(authorization: str = Header(default="")) -> str:
    return authorization


@router.get("")
def list_users(limit: int = 10, q: str | None = None, who: str = Depends(caller)) -> list:
    return []


@router.post("")
def create_user(body: UserIn, who: Annotated[str, Depends(caller)]) -> dict:
    return {}


@router.get("/{user_id}")
def get_user(user_id: str, fields: Annotated[str | None, Query()] = None) -> dict:
    return {}


@router.put("/{user_id}/files/{name:path}")
def put_file(user_id: str, name: str) -> dict:
    return {}
