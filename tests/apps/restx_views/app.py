"""orders: Flask with flask-restx Resource classes (in a Blueprint-mounted Api) and a Flask MethodView.

Each handler is marked `# NOT OK:` with the flaw a scan must find, or `# OK:`. Run it with
`flask --app app run`; there is no /openapi.json: flask-restx serves Swagger 2.0 at /api/swagger.json,
so the gate reads the operations from the source (tests/target/test_routes_views.py,
tests/checks/test_static_views.py).
"""

import os
from functools import wraps

import boto3
import jwt
from flask import Blueprint, Flask, g, request
from flask.views import MethodView
from flask_restx import Api, Namespace, Resource, abort

app = Flask(__name__)
bp = Blueprint("api", __name__, url_prefix="/api")
api = Api(bp, title="orders", version="1.0", doc=False)
orders_table = boto3.resource("dynamodb", region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1")).Table(
    os.environ.get("ORDERS_TABLE", "orders")
)


def require_auth(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            abort(401, "missing token")
        try:
            claims = jwt.decode(token, os.environ["JWT_SECRET"], algorithms=["HS256"])
        except jwt.PyJWTError:
            abort(401, "invalid token")
        g.user, g.role = claims["sub"], claims.get("role", "user")
        return view(*args, **kwargs)

    return wrapper


def require_admin(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if g.role != "admin":
            abort(403, "admins only")
        return view(*args, **kwargs)

    return wrapper


orders = api.namespace("orders", description="a customer's orders")
staff = Namespace("staff-only")
api.add_namespace(staff, path="/staff")


@orders.route("/<string:order_id>")
class Order(Resource):
    method_decorators = [require_auth]

    def get(self, order_id):
        # NOT OK: bola.read - any signed-in user reads any order (the owner is never compared with the caller)
        item = orders_table.get_item(Key={"order_id": order_id}).get("Item")
        if item is None:
            abort(404, "no such order")
        return item

    def put(self, order_id):
        # NOT OK: static.update-from-request, mass-assignment.owner - every key of the body (owner_id too) is written
        item = orders_table.get_item(Key={"order_id": order_id}).get("Item")
        if item is None or item["owner_id"] != g.user:
            abort(404, "no such order")
        body = request.get_json(silent=True) or {}
        orders_table.put_item(Item={**item, **body, "order_id": order_id})
        return {"updated": order_id}


@orders.route("/")
class OrderList(Resource):
    method_decorators = [require_auth]

    def get(self):
        # NOT OK: static.unscoped-scan - every caller gets every customer's orders
        return orders_table.scan()["Items"]


@staff.route("/orders")
class AllOrders(Resource):
    method_decorators = [require_admin, require_auth]

    def get(self):
        # OK: administrators only (require_admin checks the role)
        return orders_table.scan()["Items"]


class Ping(Resource):
    def get(self):
        # OK: public liveness route, no data
        return {"status": "ok"}


api.add_resource(Ping, "/ping")


class Receipt(MethodView):
    decorators = [require_auth]

    def get(self, order_id):
        # OK: the owner is compared with the caller
        item = orders_table.get_item(Key={"order_id": order_id}).get("Item")
        if item is None or item["owner_id"] != g.user:
            abort(404, "no such order")
        return {"order_id": order_id, "total": str(item.get("total", "0"))}


app.add_url_rule("/receipts/<order_id>", view_func=Receipt.as_view("receipt"))
app.register_blueprint(bp)
