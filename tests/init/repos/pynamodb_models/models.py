"""pynamodb models only: init reads tables, keys and GSIs from them (the service is not scanned here)."""

import os

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model


class ByEmail(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-email"
        projection = AllProjection()

    email = UnicodeAttribute(hash_key=True)


class User(Model):
    class Meta:
        table_name = os.getenv("USERS_TABLE", "app-users")

    user_id = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute()
    display_name = UnicodeAttribute(null=True)
    by_email = ByEmail()


class Order(Model):
    class Meta:
        table_name = "orders"

    customer_id = UnicodeAttribute(hash_key=True)
    order_no = NumberAttribute(range_key=True, attr_name="orderNo")
    total = NumberAttribute()
