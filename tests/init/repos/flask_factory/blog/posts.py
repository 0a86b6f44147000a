"""Posts keyed by user_id and post_id. Each route: `# OK:` or `# NOT OK:` with the flaw a scan must find."""

from boto3.dynamodb.conditions import Key
from flask import Blueprint, abort, g

from blog.auth import login_required
from blog.db import posts, users

bp = Blueprint("posts", __name__)


@bp.get("/health")
def health():
    # OK: public liveness route
    return {"ok": True}


@bp.get("/me")
@login_required
def me():
    # OK: the caller's own record
    return users.get_item(Key={"user_id": g.user_id}).get("Item") or abort(404)


@bp.get("/posts")
@login_required
def my_posts():
    # OK: keyed on the caller
    return {"items": posts.query(KeyConditionExpression=Key("user_id").eq(g.user_id))["Items"]}


@bp.get("/posts/<user_id>/<post_id>")
@login_required
def read_post(user_id, post_id):
    # NOT OK: bola.read - user_id is never compared with the caller
    item = posts.get_item(Key={"user_id": user_id, "post_id": post_id}).get("Item")
    return item or abort(404)
