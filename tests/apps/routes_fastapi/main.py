"""Route-map fixture (never run): a FastAPI app spread over modules, routers and prefixes."""

from fastapi import APIRouter, FastAPI
from routers import users
from routers.items import router as items_router

from .routers import admin as admin_mod

app = FastAPI()
api = APIRouter(prefix="/api")
api.include_router(admin_mod.router, prefix="/admin")
app.include_router(users.router, prefix="/v1")
app.include_router(items_router)
app.include_router(api)


@app.get("/health")
def health() -> dict:
    return {"ok": True}


@app.api_route("/multi", methods=["GET", "POST", "HEAD"])
async def multi() -> dict:
    return {}


def added(thing_id: str) -> dict:
    return {"id": thing_id}


app.add_api_route("/added/{thing_id}", added, methods=["DELETE"])
