"""A test service that shows what environment it was given (to prove the gate hands it nothing else)."""

import os

from fastapi import FastAPI

app = FastAPI()


@app.get("/env")
def env() -> dict:
    return dict(os.environ)
