"""DynamoDB Local lifecycle, tables, fixtures, item snapshots and the call recorder."""
