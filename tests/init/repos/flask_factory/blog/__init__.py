"""A blog API built by an app factory (`flask --app "blog:create_app()" run`), its routes on a blueprint."""

import os

from flask import Flask


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["JWT_SECRET"] = os.environ["BLOG_JWT_SECRET"]
    from blog.posts import bp

    app.register_blueprint(bp, url_prefix="/api")
    return app
