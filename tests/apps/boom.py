"""A test service whose handler raises: Starlette answers 500 and uvicorn then closes the connection."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/boom")
def boom() -> dict:
    # NOT OK: an unhandled exception (the errors check provokes these on purpose)
    raise RuntimeError("boom")


@app.get("/ok")
def ok() -> dict:
    # OK
    return {"ok": True}
