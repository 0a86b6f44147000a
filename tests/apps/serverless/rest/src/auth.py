"""Lambda authorizers (tests of the local gateway): a REST TOKEN authorizer and an HTTP API simple one."""


def token(event, context):
    value = event.get("authorizationToken")
    if value not in ("allow-me", "deny-me"):
        raise Exception("Unauthorized")
    effect = "Allow" if value == "allow-me" else "Deny"
    return {
        "principalId": "gate-user",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}],
        },
        "context": {"tier": "gold", "n": 3},
    }


def simple(event, context):
    return {"isAuthorized": event.get("identitySource") == ["open-sesame"], "context": {"who": "friend"}}
