"""Spawn the service under test, wait until it is ready, capture its logs, restart it once, stop it.

The service is untrusted code from a pull request: it runs in the scan's sandbox
(gate/target/sandbox.py: its own user where possible, its own copy of the workspace, an environment
built from scratch) with the DynamoDB endpoint of its recorder lane, never DynamoDB Local's own.
"""

from __future__ import annotations

import asyncio
import shlex
import shutil
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

from gate.config import Config
from gate.errors import ScanError
from gate.netutil import verify_for
from gate.ports import free_port
from gate.proc import NotFound, Timeout, run_bounded, stop_group
from gate.target.sandbox import Sandbox

LOG_TAIL = 30
# In service.env values and service.command: the endpoint the service's DynamoDB calls go to (its lane's
# recorder), for code that reads its own variable (`endpoint_url=os.environ["DYNAMO_URL"]`, pynamodb's
# `Meta.host = os.environ[...]`) instead of AWS_ENDPOINT_URL_DYNAMODB.
DYNAMODB_URL = "{dynamodb_url}"


@dataclass
class Instance:
    base_url: str
    proc: subprocess.Popen[bytes] | None
    log_path: Path | None
    argv: list[str] = field(default_factory=list)  # how it was started: a restart starts it the same way
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None

    def log_lines(self) -> list[str]:
        if self.log_path is None or not self.log_path.exists():
            return []
        return self.log_path.read_text(errors="replace").splitlines()


@dataclass
class Service:
    instances: list[Instance] = field(default_factory=list)
    tmpdir: Path | None = None  # the instances' logs; removed by stop()
    box: Sandbox | None = None
    ready_path: str = "/"
    startup_timeout: float = 30.0

    def restart(self, index: int) -> None:
        """Start instance `index` again, the same way on the same port, and wait until it is ready (a
        service that died during the checks: the rest of the scan still runs)."""
        inst = self.instances[index]
        if inst.proc is None or self.box is None:
            raise ScanError("the service was started elsewhere (service.url): the gate cannot restart it")
        stop_group(inst.proc, grace=0.5)
        assert inst.log_path is not None and inst.cwd is not None
        with inst.log_path.open("ab") as log:
            inst.proc = _popen(inst.argv, inst.cwd, inst.env, log, self.box)
        _wait_ready(inst, self.ready_path, self.startup_timeout)

    def log_lines(self) -> list[str]:
        out: list[str] = []
        for inst in self.instances:
            out.extend(inst.log_lines())
        return out

    def stop(self) -> None:
        for inst in self.instances:
            if inst.proc is not None:
                # SIGKILL at once: the checks have read its logs already, and nothing it could still do on a
                # graceful exit counts (waiting for uvicorn's took 0.3 s of every scan, issue 17)
                stop_group(inst.proc, grace=0.0)
                inst.proc = None
        if self.tmpdir is not None:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self.tmpdir = None

    def __enter__(self) -> Service:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_install(cfg: Config, workdir: Path, env: dict[str, str], box: Sandbox, timeout: float = 600) -> None:
    if not cfg.service.install:
        return
    try:
        code, out, err = run_bounded(
            box.argv(shlex.split(cfg.service.install), env), cwd=workdir, env=env, timeout=timeout, **box.popen_kwargs()
        )
    except NotFound as exc:
        raise ScanError(f"service.install: command not found: {exc}") from None
    except Timeout:
        raise ScanError(f"service.install did not finish within {timeout:.0f} s") from None
    if code != 0:
        raise ScanError(f"service.install exited with code {code}", (out + err).splitlines()[-LOG_TAIL:])


def _wait_ready(inst: Instance, ready_path: str, timeout: float, abort: threading.Event | None = None) -> None:
    asyncio.run(_poll_ready(inst, ready_path, timeout, abort))


async def _poll_ready(inst: Instance, ready_path: str, timeout: float, abort: threading.Event | None) -> None:
    """Poll until `ready_path` answers below 500. Only the status line and headers are read, each poll
    within at most a second and the whole wait within `timeout`: a `ready` route that drips its answer
    (or its headers) cannot hold the start past service.startup_timeout (issue 12)."""
    deadline = time.monotonic() + timeout
    url = inst.base_url + ready_path
    async with httpx.AsyncClient(verify=verify_for(url)) as client:
        while (left := deadline - time.monotonic()) > 0:
            if abort is not None and abort.is_set():
                raise ScanError("the service start was abandoned (another part of the scan failed)")
            if inst.proc is not None and inst.proc.poll() is not None:
                raise ScanError(
                    f"the service exited with code {inst.proc.returncode} before it was ready",
                    inst.log_lines()[-LOG_TAIL:],
                )
            try:
                async with asyncio.timeout(min(1.0, left)):
                    async with client.stream("GET", url) as resp:
                        if resp.status_code < 500:
                            return
            except (httpx.HTTPError, TimeoutError):
                pass
            await asyncio.sleep(0.05)
    raise ScanError(f"the service did not answer {ready_path} within {timeout:.0f} s", inst.log_lines()[-LOG_TAIL:])


def _popen(argv: list[str], cwd: Path, env: dict[str, str], log: IO[bytes], box: Sandbox) -> subprocess.Popen[bytes]:
    try:
        return subprocess.Popen(
            box.argv(argv, env),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            **box.popen_kwargs(),
        )
    except (FileNotFoundError, NotFound):
        raise ScanError(f"service.command: command not found: {argv[0]}") from None
    except PermissionError:
        raise ScanError(f"service.command: not executable: {argv[0]}") from None


def _spawn(cfg: Config, workdir: Path, env: dict[str, str], tmpdir: Path, index: int, box: Sandbox) -> Instance:
    assert cfg.service.command is not None
    port = free_port()
    command = cfg.service.command.replace("{port}", str(port)).replace(DYNAMODB_URL, env["AWS_ENDPOINT_URL_DYNAMODB"])
    argv = shlex.split(command)
    log_path = tmpdir / f"service-{index}.log"
    with log_path.open("wb") as log:
        proc = _popen(argv, workdir, env, log, box)
    return Instance(base_url=f"http://127.0.0.1:{port}", proc=proc, log_path=log_path, argv=argv, env=env, cwd=workdir)


def start(
    cfg: Config,
    root: Path,
    dynamo_endpoints: list[str],
    secret_env: dict[str, str],
    box: Sandbox,
    abort: threading.Event | None = None,
) -> Service:
    """Start one instance per recorder lane, in the sandbox's copy of `root`; all or nothing (a failure
    stops the others)."""
    if cfg.service.url:
        svc = Service(instances=[Instance(base_url=cfg.service.url.rstrip("/"), proc=None, log_path=None)])
        _wait_ready(svc.instances[0], cfg.service.ready, cfg.service.startup_timeout, abort)
        return svc
    workdir = (root / cfg.service.workdir).resolve()
    if not workdir.is_dir():
        raise ScanError(f"service.workdir: no such directory: {workdir}")
    workdir = box.workdir(root, workdir)
    tmpdir = Path(tempfile.mkdtemp(prefix="authgate-svc-"))
    svc = Service(tmpdir=tmpdir, box=box, ready_path=cfg.service.ready, startup_timeout=cfg.service.startup_timeout)
    extra = {**secret_env, **cfg.service.env}
    run_install(cfg, workdir, box.env(extra), box)
    try:
        for i, endpoint in enumerate(dynamo_endpoints):
            own = {k: v.replace(DYNAMODB_URL, endpoint) for k, v in extra.items()}  # DYNAMO_URL: "{dynamodb_url}"
            env = box.env({**own, "AWS_ENDPOINT_URL_DYNAMODB": endpoint, "AWS_ENDPOINT_URL": endpoint})
            svc.instances.append(_spawn(cfg, workdir, env, tmpdir, i, box))
        with ThreadPoolExecutor(max_workers=len(svc.instances)) as pool:
            for fut in [
                pool.submit(_wait_ready, inst, cfg.service.ready, cfg.service.startup_timeout, abort)
                for inst in svc.instances
            ]:
                fut.result()
    except BaseException:
        svc.stop()
        raise
    return svc
