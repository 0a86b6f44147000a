from fastapi import FastAPI

from app.routers import admin, items

app = FastAPI(title="inventory")
app.include_router(items.router, prefix="/items")
app.include_router(admin.router)


@app.get("/healthz")
def healthz():
    # OK: public liveness route
    return {"ok": True}
