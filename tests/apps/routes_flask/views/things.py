"""A class-based view: each HTTP method is its own handler."""

from flask.views import MethodView


class ThingAPI(MethodView):
    def get(self, thing_id: int) -> dict:
        return {"id": thing_id}

    def put(self, thing_id: int) -> dict:
        return {"id": thing_id}
