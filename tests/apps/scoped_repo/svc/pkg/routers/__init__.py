from . import health, items

__all__ = ["health", "items"]
