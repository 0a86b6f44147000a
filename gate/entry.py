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

# The modules of the other commands (`authgate init`, `authgate comment`) and of the Action: a scan never needs
# them, so gate.scan does not preload them (PyGithub alone is 9 MiB of the gate's memory, issue 17), and
# `authgate scan` makes them unimportable: once the service has run, a late import would read files it may
# have rewritten (where it runs as the gate's own user); it fails instead.
NOT_IN_A_SCAN = ("gate.publish", "gate.init", "gate.action")


def cli() -> int:
    """`authgate ...`: a scan prestarts the JVM and shuts out the other commands' modules."""
    argv = sys.argv[1:]
    if argv[:1] == ["scan"] and not {"-h", "--help"} & set(argv):
        jvm.prestart()
        for name in NOT_IN_A_SCAN:
            sys.modules.setdefault(name, None)  # type: ignore[arg-type]  # `import` raises ModuleNotFoundError
    from gate.cli import main

    return main(argv)


def action() -> int:
    """The Action's step. The first copy, with the token in its environment, only re-executes itself
    without it (gate.action): the JVM is started by the copy that scans, never inherited across exec."""
    if not any(k in os.environ for k in SECRET_ENV):
        jvm.prestart()
    from gate.action import main

    return main()
