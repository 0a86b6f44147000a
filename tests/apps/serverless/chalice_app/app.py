"""A Chalice app (tests of the Chalice reader and the gateway): a Cognito route, a custom authorizer, an open route."""

from chalice import AuthResponse, Chalice, CognitoUserPoolAuthorizer

app = Chalice(app_name="tasks")
pool = CognitoUserPoolAuthorizer(
    "TasksPool", provider_arns=["arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Tasks"]
)


@app.authorizer()
def keycheck(auth_request):
    if auth_request.token == "let-me-in":
        return AuthResponse(routes=["/*"], principal_id="keyholder")
    return AuthResponse(routes=[], principal_id="nobody")


@app.route("/tasks/{task_id}", methods=["GET"], authorizer=pool)
def get_task(task_id):
    claims = app.current_request.context["authorizer"]["claims"]
    return {"task_id": task_id, "sub": claims["sub"]}


@app.route("/keyed", authorizer=keycheck)
def keyed():
    return {"principal": app.current_request.context["authorizer"]["principalId"]}


@app.route("/health")
def health():
    return {"ok": True}
