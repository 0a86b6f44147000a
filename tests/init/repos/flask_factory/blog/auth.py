from functools import wraps

import jwt
from flask import abort, current_app, g, request


def login_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        try:
            claims = jwt.decode(token, current_app.config["JWT_SECRET"], algorithms=["HS384"])
        except jwt.PyJWTError:
            abort(401)
        g.user_id = claims["sub"]
        return view(*args, **kwargs)

    return wrapper
