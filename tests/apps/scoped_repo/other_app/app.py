"""Another app in the same repository (an ops tool), never deployed with the service."""

import requests
from flask import Flask, request

app = Flask(__name__)


@app.get("/check")
def check():
    return {"status": requests.get(request.args["url"], verify=False, timeout=5).status_code}
