import os

import boto3

items_table = boto3.resource("dynamodb").Table(os.environ.get("ITEMS_TABLE", "items"))
