from typing import Annotated
from uuid import UUID

import jwt
from fastapi import Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.settings import ALGORITHM, SECRET_KEY

bearer = HTTPBearer()


def caller(creds: Annotated[HTTPAuthorizationCredentials, Depends(bearer)]) -> dict:
    try:
        payload = jwt.decode(creds.credentials, SECRET_KEY, algorithms=[ALGORITHM])
    except jwt.PyJWTError:
        raise HTTPException(401, "bad token") from None
    return {"id": str(UUID(payload["user_id"])), "role": payload.get("role", "user")}


def admin_only(user: Annotated[dict, Depends(caller)]) -> dict:
    if user["role"] != "admin":
        raise HTTPException(403, "admins only")
    return user


Caller = Annotated[dict, Depends(caller)]
Admin = Annotated[dict, Depends(admin_only)]
