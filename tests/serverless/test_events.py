"""Events and responses against AWS's documentation of the Lambda proxy integration, field by field.

Payload 2.0: "Create AWS Lambda proxy integrations for HTTP APIs in API Gateway" (payload format
structure, format 2.0; the response format and its inference). Payload 1.0: "Lambda proxy
integrations in API Gateway" (input format of a Lambda function for proxy integration; output
format). The field sets below are those documents' examples (also AWS's own samples,
aws/aws-lambda-go events/testdata/apigw-v2-request-*.json and apigw-request.json), less the
fields a request without them leaves out (stageVariables, mutual-TLS `authentication`).
"""

from __future__ import annotations

import base64
import json

from gate.serverless.events import Request, event_for
from gate.serverless.model import Route
from gate.serverless.responses import gateway_error, to_http

V2_TOP = {"version", "routeKey", "rawPath", "rawQueryString", "cookies", "headers", "queryStringParameters",
          "requestContext", "body", "pathParameters", "isBase64Encoded"}  # fmt: skip
V2_CONTEXT = {"accountId", "apiId", "domainName", "domainPrefix", "http", "requestId", "routeKey", "stage", "time",
              "timeEpoch"}  # fmt: skip
V2_HTTP = {"method", "path", "protocol", "sourceIp", "userAgent"}
V1_TOP = {"resource", "path", "httpMethod", "headers", "multiValueHeaders", "queryStringParameters",
          "multiValueQueryStringParameters", "requestContext", "pathParameters", "stageVariables", "body",
          "isBase64Encoded"}  # fmt: skip
V1_CONTEXT = {"accountId", "apiId", "domainName", "domainPrefix", "extendedRequestId", "httpMethod", "identity", "path",
              "protocol", "requestId", "requestTime", "requestTimeEpoch", "resourceId", "resourcePath",
              "stage"}  # fmt: skip
V1_IDENTITY = {"accessKey", "accountId", "caller", "cognitoAuthenticationProvider", "cognitoAuthenticationType",
               "cognitoIdentityId", "cognitoIdentityPoolId", "principalOrgId", "sourceIp", "user", "userAgent",
               "userArn", "apiKey", "apiKeyId"}  # fmt: skip


def request(body: bytes = b'{"a": 1}', ctype: str = "application/json") -> Request:
    return Request(
        method="POST",
        path="/notes/alice",
        raw_path="/notes/alice",
        query="p1=v1&p1=v2&p2=v",
        headers=[
            ("Content-Type", ctype),
            ("X-Dup", "one"),
            ("X-Dup", "two"),
            ("User-Agent", "agent"),
            ("Cookie", "c1=a; c2=b"),
        ],
        body=body,
        source_ip="192.0.2.1",
    )


HTTP = Route("POST", "/notes/{owner}", "F", api="http", payload="2.0")
REST = Route("POST", "/notes/{owner}", "F", api="rest", payload="1.0", stage="prod")


def test_payload_2_has_every_documented_field_lower_case_headers_joined_values_and_cookies_apart() -> None:
    ev = event_for(request(), HTTP, {"owner": "alice"}, {"jwt": {"claims": {"sub": "alice"}, "scopes": None}})
    assert set(ev) == V2_TOP
    assert set(ev["requestContext"]) == V2_CONTEXT | {"authorizer"}
    assert set(ev["requestContext"]["http"]) == V2_HTTP
    assert ev["version"] == "2.0" and ev["routeKey"] == "POST /notes/{owner}" == ev["requestContext"]["routeKey"]
    assert ev["rawQueryString"] == "p1=v1&p1=v2&p2=v"
    assert ev["queryStringParameters"] == {"p1": "v1,v2", "p2": "v"}  # duplicates combined with commas
    assert ev["headers"]["x-dup"] == "one,two" and "X-Dup" not in ev["headers"]  # names in lower case
    assert ev["cookies"] == ["c1=a", "c2=b"] and "cookie" not in ev["headers"]
    assert ev["pathParameters"] == {"owner": "alice"}
    assert ev["requestContext"]["http"] == {
        "method": "POST", "path": "/notes/alice", "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1", "userAgent": "agent",
    }  # fmt: skip
    assert ev["requestContext"]["stage"] == "$default"
    assert ev["requestContext"]["authorizer"]["jwt"]["claims"] == {"sub": "alice"}
    assert isinstance(ev["requestContext"]["timeEpoch"], int) and ev["requestContext"]["time"].endswith("+0000")
    assert ev["body"] == '{"a": 1}' and ev["isBase64Encoded"] is False


def test_payload_2_leaves_out_what_the_request_lacks() -> None:
    bare = Request(method="GET", path="/x", raw_path="/x", query="")
    ev = event_for(bare, Route("GET", "/x", "F"), {}, None)
    assert set(ev) == {
        "version",
        "routeKey",
        "rawPath",
        "rawQueryString",
        "headers",
        "requestContext",
        "isBase64Encoded",
    }
    assert "authorizer" not in ev["requestContext"]


def test_payload_1_has_every_documented_field_multi_values_and_the_stage_in_the_context_path() -> None:
    ev = event_for(request(), REST, {"owner": "alice"}, {"claims": {"sub": "alice"}})
    assert set(ev) == V1_TOP  # REST API events carry no "version"
    assert set(ev["requestContext"]) == V1_CONTEXT | {"authorizer"}
    assert set(ev["requestContext"]["identity"]) == V1_IDENTITY
    assert ev["resource"] == "/notes/{owner}" == ev["requestContext"]["resourcePath"]
    assert ev["path"] == "/notes/alice" and ev["requestContext"]["path"] == "/prod/notes/alice"
    assert ev["headers"]["X-Dup"] == "two" and ev["multiValueHeaders"]["X-Dup"] == ["one", "two"]  # case kept
    assert ev["queryStringParameters"] == {"p1": "v2", "p2": "v"}
    assert ev["multiValueQueryStringParameters"] == {"p1": ["v1", "v2"], "p2": ["v"]}
    assert ev["stageVariables"] is None and ev["requestContext"]["identity"]["sourceIp"] == "192.0.2.1"
    assert ev["requestContext"]["authorizer"] == {"claims": {"sub": "alice"}}


def test_payload_1_of_an_http_api_says_its_version_and_nulls_what_is_absent() -> None:
    bare = Request(method="GET", path="/x", raw_path="/x", query="")
    ev = event_for(bare, Route("GET", "/x", "F", api="http", payload="1.0"), {}, None)
    assert ev["version"] == "1.0" and ev["requestContext"]["path"] == "/x"
    assert ev["queryStringParameters"] is None and ev["multiValueQueryStringParameters"] is None
    assert ev["pathParameters"] is None and ev["body"] is None and ev["isBase64Encoded"] is False


def test_binary_bodies_are_base64_encoded() -> None:
    raw = bytes(range(256))
    ev = event_for(request(raw, "application/octet-stream"), HTTP, {}, None)
    assert ev["isBase64Encoded"] is True and base64.b64decode(ev["body"]) == raw
    ev = event_for(request(b"\xff\xfe", "application/json"), REST, {}, None)  # not UTF-8 text
    assert ev["isBase64Encoded"] is True


def test_v2_answers_without_a_status_code_are_inferred_as_a_json_200() -> None:
    got = to_http({"notes": []}, "2.0", "http")
    assert (got.status, json.loads(got.body)) == (200, {"notes": []})
    assert ("content-type", "application/json") in got.headers
    assert to_http("hello", "2.0", "http").body == b"hello"


def test_v2_answers_set_cookies_and_decode_base64() -> None:
    got = to_http(
        {"statusCode": 201, "cookies": ["a=1", "b=2"], "body": base64.b64encode(b"\x00\x01").decode(),
         "isBase64Encoded": True, "headers": {"content-type": "application/octet-stream"}},
        "2.0", "http",
    )  # fmt: skip
    assert got.status == 201 and got.body == b"\x00\x01"
    assert [v for k, v in got.headers if k == "set-cookie"] == ["a=1", "b=2"]


def test_v1_answers_merge_multi_value_headers() -> None:
    got = to_http(
        {"statusCode": 200, "headers": {"X-A": "1", "X-B": "single"}, "multiValueHeaders": {"X-B": ["m1", "m2"]},
         "body": "ok"},
        "1.0", "rest",
    )  # fmt: skip
    assert [v for k, v in got.headers if k == "X-B"] == ["m1", "m2"] and ("X-A", "1") in got.headers


def test_malformed_answers_are_api_gateways_error() -> None:
    assert to_http({"body": "no status"}, "1.0", "rest").status == 502
    assert to_http("text", "1.0", "http").status == 500
    assert to_http({"statusCode": "abc"}, "2.0", "http").status == 500
    assert to_http({"statusCode": 200, "body": "%%%", "isBase64Encoded": True}, "1.0", "rest").status == 502


def test_gateway_errors_are_the_documented_answers() -> None:
    assert json.loads(gateway_error("http", "unauthorized").body) == {"message": "Unauthorized"}
    assert gateway_error("rest", "no-route").status == 403
    assert json.loads(gateway_error("rest", "no-route").body) == {"message": "Missing Authentication Token"}
    assert gateway_error("http", "no-route").status == 404
    assert gateway_error("rest", "failed").status == 502 and gateway_error("http", "failed").status == 500
