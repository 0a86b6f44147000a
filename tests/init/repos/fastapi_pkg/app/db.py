import boto3

from app.settings import ITEMS_TABLE

items_table = boto3.resource("dynamodb").Table(ITEMS_TABLE)
