"""Serverless services: Lambda functions behind API Gateway, served by the gate itself.

A SAM/CloudFormation template (or a Serverless Framework `serverless.yml`, or a Chalice app) is
read into functions, routes and authorizers (`model`); the local gateway (`gateway`) turns each
HTTP request into the event API Gateway would send (`events`: REST API payload 1.0, HTTP API
payload 2.0), plays the route's authorizer (`authorizers`), invokes the function in a long-lived
worker process of the service's interpreter in the sandbox (`worker`) and turns its answer back
into HTTP (`responses`). To the rest of the scan the gateway looks like a started service.
"""
