"""Create the inventory tables in a local DynamoDB (not imported by the app)."""

import boto3

TABLE = "inventory-items"

boto3.client("dynamodb").create_table(
    TableName=TABLE,
    KeySchema=[{"AttributeName": "owner_id", "KeyType": "HASH"}, {"AttributeName": "item_id", "KeyType": "RANGE"}],
    AttributeDefinitions=[
        {"AttributeName": "owner_id", "AttributeType": "S"},
        {"AttributeName": "item_id", "AttributeType": "S"},
        {"AttributeName": "sku", "AttributeType": "S"},
    ],
    GlobalSecondaryIndexes=[
        {
            "IndexName": "by_sku",
            "KeySchema": [{"AttributeName": "sku", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"},
        }
    ],
    BillingMode="PAY_PER_REQUEST",
)
