import os

import boto3

_ddb = boto3.resource("dynamodb")
users = _ddb.Table(os.getenv("USERS_TABLE", "blog-users"))
posts = _ddb.Table(os.environ["POSTS_TABLE"])
