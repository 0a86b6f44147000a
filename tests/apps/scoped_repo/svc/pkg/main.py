"""The service: `uvicorn pkg.main:app` from svc/."""

import importlib

from fastapi import FastAPI

from . import routers

app = FastAPI(title="items")
app.include_router(routers.items.router)
app.include_router(routers.health.router)
# plugins are loaded by name (a common pattern for optional features); the gate must follow it
importlib.import_module("pkg.plugins.audit")
