"""Route-map fixture (never run): a Flask app factory with blueprints, rules and a MethodView."""

from flask import Flask
from views import admin
from views.api import api_bp
from views.things import ThingAPI


def ping() -> str:
    return "pong"


def create_app() -> Flask:
    app = Flask(__name__)
    app.register_blueprint(api_bp, url_prefix="/api/v2")
    app.register_blueprint(admin.bp)
    app.add_url_rule("/ping", "ping", ping)
    app.add_url_rule("/things/<int:thing_id>", view_func=ThingAPI.as_view("thing"))

    @app.get("/health")
    def health() -> dict:
        return {"ok": True}

    return app
