"""One long-lived worker process per Lambda function, as Lambda keeps a warm execution environment.

The worker is the service's interpreter (its virtualenv's, else the gate's) started in the sandbox
with the function's environment; it imports the handler once (init), then answers invocations one
at a time: a JSON line with the event and context on its stdin, a JSON line with the result on its
stdout. What the function prints or logs goes to the service's log (stdout is moved to stderr before
the handler is imported, and the root logger has a handler, as Lambda's runtime installs). An
invocation past the function's `Timeout` kills the worker ("Task timed out"); a crashed or
timed-out worker is started again on the next invocation (a fresh init).
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from gate.dynamo.template import PSEUDO
from gate.errors import ScanError
from gate.proc import stop_group
from gate.serverless.model import Function
from gate.target.sandbox import Sandbox

MAX_ANSWER = 6 << 20  # Lambda's synchronous response limit
INIT_TIMEOUT = 30.0

# Run by the service's interpreter (python -c): the protocol keeps fds 0/1 to itself.
BOOTSTRAP = r"""
import importlib, json, os, sys, time, traceback
rd = os.fdopen(os.dup(0), "rb"); wr = os.fdopen(os.dup(1), "wb")
os.dup2(os.open(os.devnull, os.O_RDONLY), 0); os.dup2(2, 1)
sys.stdin = open(os.devnull); sys.stdout = os.fdopen(1, "w", buffering=1)
sys.path.insert(0, os.getcwd())
import logging
_h = logging.StreamHandler(sys.stderr)  # as Lambda's runtime: the root logger writes to the function's log
_h.setFormatter(logging.Formatter("[%(levelname)s]\t%(asctime)s\t%(message)s"))
logging.getLogger().addHandler(_h)
def say(obj):
    wr.write(json.dumps(obj).encode() + b"\n"); wr.flush()
def failure(exc, kind=None):
    traceback.print_exc()
    return {"errorMessage": str(exc)[:2000], "errorType": kind or type(exc).__name__}
class Context:
    def __init__(self, c):
        self.__dict__.update(c); self._deadline = c["deadline_ms"]
        self.identity = None; self.client_context = None
    def get_remaining_time_in_millis(self):
        return max(0, int(self._deadline - time.time() * 1000))
mod, _, attr = sys.argv[1].rpartition(".")
try:
    fn = getattr(importlib.import_module(mod.replace("/", ".")), attr)
except BaseException as exc:
    say({"init_error": failure(exc, "Runtime.ImportModuleError")}); sys.exit(1)
say({"ready": True})
for line in rd:
    req = json.loads(line)
    try:
        result = fn(req["event"], Context(req["context"]))
    except Exception as exc:
        say({"error": failure(exc)}); continue
    try:
        say({"result": result})
    except (TypeError, ValueError) as exc:
        say({"error": failure(exc, "Runtime.MarshalError")})
"""


@dataclass(slots=True)
class Outcome:
    result: Any = None
    error: dict[str, str] | None = None  # errorMessage, errorType
    timed_out: bool = False
    seconds: float = 0.0


@dataclass
class Worker:
    function: Function
    cwd: Path
    env: dict[str, str]
    box: Sandbox
    log: IO[bytes]
    proc: subprocess.Popen[bytes] | None = None
    _buf: bytes = b""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        """Start the process and wait for its init (the handler imported); ScanError when init fails."""
        argv = [self.box.interpreter(), "-c", BOOTSTRAP, self.function.handler]
        self.proc = subprocess.Popen(
            self.box.argv(argv, self.env),
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            **self.box.popen_kwargs(),
        )
        self._buf = b""
        got = self._read(INIT_TIMEOUT)
        if got is None or "ready" not in got:
            err = (got or {}).get("init_error") or {"errorMessage": "no answer", "errorType": "Runtime.ExitError"}
            self.stop()
            raise ScanError(
                f"function {self.function.name} ({self.function.handler}) failed to start: "
                f"{err['errorType']}: {err['errorMessage']}"[:300]
            )

    def invoke(self, event: dict[str, Any]) -> Outcome:
        with self._lock:
            t0 = time.monotonic()
            if self.proc is None or self.proc.poll() is not None:
                try:
                    self.start()
                except ScanError as exc:
                    return Outcome(error={"errorMessage": exc.message, "errorType": "Runtime.InitError"})
            assert self.proc is not None and self.proc.stdin is not None
            ctx = {
                "function_name": self.function.name,
                "function_version": "$LATEST",
                "invoked_function_arn": f"arn:aws:lambda:{PSEUDO['AWS::Region']}:{PSEUDO['AWS::AccountId']}:"
                f"function:{self.function.name}",
                "memory_limit_in_mb": str(self.function.memory),
                "aws_request_id": str(uuid.uuid4()),
                "log_group_name": f"/aws/lambda/{self.function.name}",
                "log_stream_name": "authgate",
                "deadline_ms": int(time.time() * 1000 + self.function.timeout * 1000),
            }
            try:
                self.proc.stdin.write(json.dumps({"event": event, "context": ctx}).encode() + b"\n")
                self.proc.stdin.flush()
            except (BrokenPipeError, OSError):
                self.stop()
                return Outcome(error={"errorMessage": "the worker exited", "errorType": "Runtime.ExitError"})
            got = self._read(self.function.timeout)
            seconds = time.monotonic() - t0
            if got is None:
                timed_out = self.proc is not None and self.proc.poll() is None
                self.stop()
                msg = f"Task timed out after {self.function.timeout:.2f} seconds" if timed_out else "the worker exited"
                return Outcome(error={"errorMessage": msg, "errorType": "Runtime.ExitError"}, timed_out=timed_out)
            return Outcome(result=got.get("result"), error=got.get("error"), seconds=seconds)

    def _read(self, timeout: float) -> dict[str, Any] | None:
        """One JSON line from the worker within `timeout` seconds; None on timeout, exit or garbage."""
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or len(self._buf) > MAX_ANSWER:
                return None
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                return None
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return None
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        try:
            got = json.loads(line)
        except ValueError:
            return None
        return got if isinstance(got, dict) else None

    def stop(self) -> None:
        if self.proc is not None:
            for pipe in (self.proc.stdin, self.proc.stdout):
                if pipe is not None:
                    with contextlib.suppress(OSError):
                        pipe.close()
            stop_group(self.proc, grace=0.5)
            self.proc = None
