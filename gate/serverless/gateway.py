"""The local API Gateway: an HTTP server of the gate's in front of the project's Lambda functions.

Per recorder lane one server on 127.0.0.1 and one warm worker per function, each with that lane's
DynamoDB endpoint, so every DynamoDB call is attributed to the probe in flight on its lane. A
request is matched to a route as API Gateway does (a method over ANY, literal segments over
parameters, a greedy `{proxy+}` last), its authorizer runs, the event is built in the route's
payload format, the function invoked, its answer turned back into HTTP. No route: REST's 403
"Missing Authentication Token", HTTP API's 404. To the scan, the gateway is a started service:
`instances` (base URLs), `log_lines()` (what the functions printed), `restart()`, `stop()`.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlsplit

from gate.config import Config
from gate.errors import ScanError
from gate.serverless.authorizers import Keys, authorize
from gate.serverless.events import Request, event_for
from gate.serverless.model import App, Function
from gate.serverless.responses import Answer, gateway_error, to_http
from gate.serverless.worker import Outcome, Worker
from gate.target.sandbox import Sandbox
from gate.target.service import DYNAMODB_URL, LOG_TAIL, Instance

MAX_REQUEST = 6 << 20  # Lambda's synchronous invocation payload limit


@dataclass
class Lane:
    """One gateway server and its warm workers, on one recorder lane."""

    app: App
    keys: Keys | None
    workers: dict[str, Worker]
    server: ThreadingHTTPServer | None = None
    thread: threading.Thread | None = None

    def invoke(self, function: str, event: dict[str, Any]) -> Outcome:
        worker = self.workers.get(function)
        if worker is None:
            return Outcome(error={"errorMessage": f"no function {function}", "errorType": "ResourceNotFound"})
        return worker.invoke(event)

    def handle(self, req: Request) -> Answer:
        found = self.app.route_for(req.method, req.path)
        if found is None:
            api = self.app.routes[0].api if self.app.routes else "http"
            return gateway_error(api, "no-route")
        route, params = found
        verdict = authorize(req, route, self.keys, self.invoke)
        if verdict.error is not None:
            return gateway_error(route.api, verdict.error)
        out = self.invoke(route.function, event_for(req, route, params, verdict.context))
        if out.error is not None:
            return gateway_error(route.api, "failed")
        return to_http(out.result, route.payload, route.api)


def _handler(lane: Lane) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _any(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            if length > MAX_REQUEST:
                self._send(Answer(413, [("content-type", "application/json")], b'{"message":"Request Too Long"}'))
                return
            body = self.rfile.read(length) if length > 0 else b""
            url = urlsplit(self.path)
            req = Request(
                method=self.command.upper(),
                path=unquote(url.path or "/"),
                raw_path=url.path or "/",
                query=url.query,
                headers=[(k, v) for k, v in self.headers.items() if k.lower() not in ("content-length", "connection")],
                body=body,
                source_ip=self.client_address[0],
            )
            if body:
                req.headers.append(("content-length", str(len(body))))
            try:
                answer = lane.handle(req)
            except Exception:  # a bug of the gateway must not look like the function's answer
                answer = Answer(500, [("content-type", "application/json")], b'{"message":"authgate gateway error"}')
            self._send(answer)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _any

        def _send(self, answer: Answer) -> None:
            self.send_response(answer.status)
            for k, v in answer.headers:
                if k.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(k, v)
            self.send_header("content-length", str(len(answer.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(answer.body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@dataclass
class Gateway:
    """The started serverless service: what gate/target/service.py's Service offers the scan."""

    lanes: list[Lane] = field(default_factory=list)
    instances: list[Instance] = field(default_factory=list)
    tmpdir: Path | None = None
    logs: list[IO[bytes]] = field(default_factory=list)

    def log_lines(self) -> list[str]:
        out: list[str] = []
        for inst in self.instances:
            out.extend(inst.log_lines())
        return out

    def restart(self, index: int) -> None:
        """A fresh init of every function of lane `index` (the workers start again on their next call)."""
        for w in self.lanes[index].workers.values():
            w.stop()

    def stop(self) -> None:
        for lane in self.lanes:
            if lane.server is not None:
                lane.server.shutdown()
                lane.server.server_close()
                lane.server = None
            for w in lane.workers.values():
                w.stop()
        for log in self.logs:
            log.close()
        self.logs = []
        if self.tmpdir is not None:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self.tmpdir = None


def function_env(cfg: Config, fn: Function, cwd: Path, endpoint: str, secret_env: dict[str, str]) -> dict[str, str]:
    """What Lambda sets for a function, its template `Environment`, and the lane's DynamoDB endpoint."""
    own = {k: v.replace(DYNAMODB_URL, endpoint) for k, v in {**secret_env, **cfg.service.env}.items()}
    return {
        **own,
        **fn.env,
        "AWS_LAMBDA_FUNCTION_NAME": fn.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{fn.name}",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{fn.runtime}",
        "LAMBDA_TASK_ROOT": str(cwd),
        "_HANDLER": fn.handler,
        "PYTHONPATH": str(cwd),
        "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
        "AWS_ENDPOINT_URL": endpoint,
    }


def start(
    cfg: Config,
    root: Path,
    app: App,
    endpoints: list[str],
    secret_env: dict[str, str],
    keys: Keys | None,
    box: Sandbox,
    abort: threading.Event | None = None,
) -> Gateway:
    """One gateway per lane with every function warm (its handler imported); all or nothing."""
    gw = Gateway(tmpdir=Path(tempfile.mkdtemp(prefix="authgate-sls-")))
    try:
        for i, endpoint in enumerate(endpoints):
            assert gw.tmpdir is not None
            log_path = gw.tmpdir / f"functions-{i}.log"
            log = log_path.open("ab")
            gw.logs.append(log)
            workers = {}
            for name, fn in app.functions.items():
                code = (app.root / fn.code).resolve()
                if not code.is_dir() or not code.is_relative_to(root.resolve()):
                    raise ScanError(f"service.template: {name}.CodeUri: no such folder in the project: {fn.code}")
                cwd = box.workdir(root, code)
                workers[name] = Worker(fn, cwd, box.env(function_env(cfg, fn, cwd, endpoint, secret_env)), box, log)
            lane = Lane(app=app, keys=keys, workers=workers)
            _warm(lane, abort, log_path)
            lane.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(lane))
            lane.server.daemon_threads = True
            lane.thread = threading.Thread(target=lane.server.serve_forever, name=f"gateway-{i}", daemon=True)
            lane.thread.start()
            gw.lanes.append(lane)
            port = lane.server.server_address[1]
            gw.instances.append(Instance(base_url=f"http://127.0.0.1:{port}", proc=None, log_path=log_path))
    except BaseException:
        gw.stop()
        raise
    return gw


def _warm(lane: Lane, abort: threading.Event | None, log_path: Path) -> None:
    def one(w: Worker) -> None:
        if abort is not None and abort.is_set():
            raise ScanError("the service start was abandoned (another part of the scan failed)")
        w.start()

    with ThreadPoolExecutor(max_workers=min(8, max(1, len(lane.workers)))) as pool:
        futures = [pool.submit(one, w) for w in lane.workers.values()]
        for fut in futures:
            try:
                fut.result()
            except ScanError as exc:
                tail = log_path.read_text(errors="replace").splitlines()[-LOG_TAIL:] if log_path.exists() else []
                raise ScanError(exc.message, tail) from None
