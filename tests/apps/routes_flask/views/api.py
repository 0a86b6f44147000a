"""API blueprint: its own url_prefix is replaced by the one given at registration."""

from flask import Blueprint, request

api_bp = Blueprint("api", __name__, url_prefix="/api")


@api_bp.route("/users/<user_id>", methods=["GET", "DELETE"])
def user(user_id: str) -> dict:
    return {"id": user_id}


@api_bp.route("/search")
def search() -> dict:
    args = request.args
    return {"q": request.args.get("q"), "page": request.args["page"], "sort": args.get("sort")}


@api_bp.post("/users")
def create_user() -> dict:
    data = request.get_json(silent=True) or {}
    return {"name": request.json["name"], "email": data.get("email"), "raw": request.get_json().get("nick")}
