import os

import jwt
from fastapi import Header, HTTPException


def caller(authorization: str = Header(default="")) -> str:
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(status_code=401, detail="not authenticated")
    try:
        return jwt.decode(token, os.environ["JWT_SECRET"], algorithms=["HS256"])["sub"]
    except jwt.PyJWTError:
        raise HTTPException(status_code=401, detail="invalid token") from None
