"""authgate: a pull-request gate for the authentication and authorization of DynamoDB-backed APIs."""

__version__ = "0.1.0"
