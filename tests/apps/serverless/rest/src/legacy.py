"""A Flask app run on Lambda through awsgi (REST API proxy route)."""

import awsgi
from flask import Flask, jsonify, request

app = Flask(__name__)


@app.get("/legacy/items/<item_id>")
def get_item(item_id):
    return jsonify(item_id=item_id, q=request.args.get("q"))


@app.post("/legacy/items")
def create_item():
    return jsonify(created=request.get_json(silent=True)), 201


def handler(event, context):
    return awsgi.response(app, event, context)
