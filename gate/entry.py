"""The entry points of the `authgate` command and of the Action: DynamoDB Local's JVM starts before the
heavy imports (issue 17).

Importing the gate (boto3, pydantic, jsonschema, the checks) takes about a second on one core, and
the JVM's start another second; started here they overlap on a 2-core runner. Only this module and
gate.dynamo.jvm (standard library only) are loaded first. Any other command starts no JVM.
"""

from __future__ import annotations

import os
import sys

from gate.dynamo import jvm

# Never inherited by a child process: the token and the runner's own credentials (gate.action).
SECRET_ENV = (
    "INPUT_GITHUB-TOKEN",
    "INPUT_GITHUB_TOKEN",
    "GITHUB_TOKEN",
    "ACTIONS_RUNTIME_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
)


def cli() -> int:
    """`authgate ...`: a scan prestarts the JVM."""
    argv = sys.argv[1:]
    if argv[:1] == ["scan"] and not {"-h", "--help"} & set(argv):
        jvm.prestart()
    from gate.cli import main

    return main(argv)


def action() -> int:
    """The Action's step. The first copy, with the token in its environment, only re-executes itself
    without it (gate.action): the JVM is started by the copy that scans, never inherited across exec."""
    if not any(k in os.environ for k in SECRET_ENV):
        jvm.prestart()
    from gate.action import main

    return main()
