"""Admin blueprint with a nested blueprint."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
reports = Blueprint("reports", __name__, url_prefix="/reports")
bp.register_blueprint(reports)


@reports.get("/<path:name>")
def report(name: str) -> str:
    return name
