"""A smoke check the developers run by hand against a deployed service (not a pytest module)."""

import requests


def smoke():
    return requests.get("https://localhost:8443/health", verify=False).ok  # test code: never reported
