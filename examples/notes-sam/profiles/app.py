"""Profiles: a FastAPI app run on Lambda through Mangum, behind /profiles/{proxy+} (authgate example).

The caller is the JWT authorizer's subject, read from the Lambda event Mangum keeps in the ASGI
scope (scope["aws.event"]). Both routes act on the caller's own profile only.
"""

import os

import boto3
from fastapi import Depends, FastAPI, HTTPException, Request
from mangum import Mangum
from pydantic import BaseModel, Field

PROFILES = boto3.resource("dynamodb").Table(os.environ["PROFILES_TABLE"])
app = FastAPI(title="Profiles")


def caller(request: Request) -> str:
    claims = request.scope.get("aws.event", {}).get("requestContext", {}).get("authorizer", {}).get("jwt", {})
    sub = (claims.get("claims") or {}).get("sub")
    if not sub:
        raise HTTPException(status_code=401, detail="Unauthorized")
    return sub


class ProfileIn(BaseModel):
    display_name: str = Field(min_length=1, max_length=80)


@app.get("/profiles/me")
def my_profile(sub: str = Depends(caller)):
    item = PROFILES.get_item(Key={"user_id": sub}).get("Item")
    if item is None:
        raise HTTPException(status_code=404, detail="no profile")
    return item


@app.put("/profiles/me")
def update_profile(body: ProfileIn, sub: str = Depends(caller)):
    item = {"user_id": sub, "display_name": body.display_name}
    PROFILES.put_item(Item=item)
    return item


handler = Mangum(app, lifespan="off")
