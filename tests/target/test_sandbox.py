"""A hostile service against the real gate (issue 12): it runs in a sandbox it cannot leave, its death is
never a pass, and nothing it starts outlives the scan. One bounded scan per attack
(tests/apps/attacker/app.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pytest

from gate.target.sandbox import Sandbox
from tests.conftest import APPS, scan_report

CONFIG = """version: 1
service:
  command: "uvicorn app:app --host 127.0.0.1 --port {{port}} --log-level warning"
  env: {{MODE: {mode}, NOTES: "{notes}", GATE_FILE: "{gate_file}", GITHUB_TOKEN: "from-service-env"}}
  ready: /health
  startup_timeout: 20
openapi: /openapi.json
dynamodb:
  tables:
    - {{name: items, key: {{owner_id: S, item_id: S}}}}
auth:
  jwt: {{secret_env: JWT_SECRET, algorithm: HS256}}
identities:
  alice: {{sub: alice}}
  bob:   {{sub: bob}}
fixtures:
  - {{table: items, owner: alice, item: {{owner_id: alice, item_id: i-alice, body: "alice secret"}}}}
  - {{table: items, owner: bob,   item: {{owner_id: bob, item_id: i-bob, body: "bob secret"}}}}
checks:
  public: ["GET /health"]
"""


def _scan(tmp_path: Path, mode: str) -> tuple[int, dict, str, list[dict], Path]:
    svc = tmp_path / "svc"
    svc.mkdir()
    shutil.copy(APPS / "attacker" / "app.py", svc / "app.py")
    # the service may run as another user, which cannot pass pytest's 0700 folders: its notes go elsewhere
    notes = Path(tempfile.mkdtemp(prefix="authgate-hostile-notes-"))
    notes.chmod(0o777)
    gate_file = tmp_path / "gate-file.py"
    gate_file.write_text("# a file of the gate's\n")
    (svc / ".authgate.yml").write_text(CONFIG.format(mode=mode, notes=notes, gate_file=gate_file))
    secret_env = {"AUTHGATE_TEST_SECRET": "s3cr3t", "GITHUB_OUTPUT": str(tmp_path / "out")}
    p, report = scan_report(svc, tmp_path, env=secret_env)
    lines = (notes / f"{mode}.json").read_text().splitlines() if (notes / f"{mode}.json").exists() else []
    return p.returncode, report, p.stdout + p.stderr, [json.loads(x) for x in lines], gate_file


def test_the_service_cannot_reach_the_gate_its_secrets_or_the_seeded_data_directly(tmp_path: Path) -> None:
    code, report, output, notes, gate_file = _scan(tmp_path, "spy")
    assert code == 0 and report["verdict"] == "pass", output
    (seen,) = notes
    assert seen["own_env"] == [], "GITHUB_*/RUNNER_*/AUTHGATE_* reached the service (service.env included)"
    assert seen["recorder"] and seen["tables_by_port"], seen  # it did find DynamoDB-speaking ports
    # every port it reached past the recorder (DynamoDB Local itself) is another database: the seeded one
    # lives under the gate's own random key; through the recorder it sees `items`
    direct = {port: names for port, names in seen["tables_by_port"].items() if not seen["recorder"].endswith(port)}
    assert direct and all("items" not in names for names in direct.values()), seen
    if os.geteuid() == 0:
        assert seen["uid"] != 0, "the service ran as root"
        assert not seen["wrote_gate_file"] and gate_file.read_text() == "# a file of the gate's\n"
        assert seen["environ_with_secret"] == [], "the service read a process environment holding a secret"
    else:
        assert any("runs as the gate's own user" in n for n in report["notes"]), report["notes"]


def test_a_request_that_kills_the_service_is_a_finding_and_the_scan_goes_on(tmp_path: Path) -> None:
    code, report, output, notes, _ = _scan(tmp_path, "crash")
    assert notes and "crashed_on" in notes[0], f"no probe sent an undeclared field: {output}"
    assert code == 1 and report["verdict"] == "fail", output
    crash = [f for f in report["findings"] if f["check"] == "errors.crash"]
    assert [(f["method"], f["route"]) for f in crash] == [("POST", "/items")], report["findings"]
    assert crash[0]["evidence"]["request"]["path"] == "/items"
    assert "exited (code 1)" in crash[0]["evidence"]["notes"][0] and "restarted" in crash[0]["evidence"]["notes"][0]
    assert report["complete"] is True, report["reasons"]  # restarted once: the rest of the scan still ran


def test_a_service_that_dies_on_its_own_mid_scan_is_never_a_pass(tmp_path: Path) -> None:
    code, report, output, _, _ = _scan(tmp_path, "tired")
    assert code == 2 and report["verdict"] == "error" and report["complete"] is False, output
    assert [f for f in report["findings"] if f["check"] == "errors.crash"] == []  # no probe is blamed
    reason = next(r for r in report["reasons"] if "met a dead service" in r)
    assert reason.startswith("the service exited between probes; it was restarted once and died again"), reason


def test_a_daemon_the_service_double_forks_does_not_outlive_the_scan(tmp_path: Path) -> None:
    code, _, output, notes, _ = _scan(tmp_path, "daemon")
    assert code == 0, output
    pids = [n["daemon"] for n in notes if "daemon" in n]
    assert pids, f"the daemon never started: {output}"
    time.sleep(0.5)
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue  # gone
        pytest.fail(f"daemon {pid} still there after the scan (state {state})")


def test_the_runner_file_commands_are_out_of_reach_and_restored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = tmp_path / "github-output"
    output.write_text("before=1\n")
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    (tmp_path / "root").mkdir()
    box = Sandbox.create(tmp_path / "root")
    try:
        attack = f"open({str(output)!r}, 'a').write('verdict=pass\\n')"
        proc = subprocess.run(
            box.argv(["/usr/bin/python3", "-c", attack]),
            cwd=box.root,
            env=box.env({}),
            capture_output=True,
            timeout=30,
            **box.popen_kwargs(),
        )
        if box.uid is not None:  # a user of its own: the runner's file is not its to write
            assert proc.returncode != 0 and b"PermissionError" in proc.stderr, proc.stderr
        with output.open("a") as fh:  # what a service running as the gate's own user can do
            fh.write("injected=1\n")
    finally:
        box.close()
    assert output.read_text() == "before=1\n"  # whatever got in was taken out again, and said
    assert box.tampered == ["GITHUB_OUTPUT"]


def test_what_the_install_step_installs_is_the_services_own(tmp_path: Path) -> None:
    """service.install runs in the sandbox too: with a user of its own it cannot write the interpreter's
    site-packages, so pip installs into the sandbox's folder, which the service then imports from."""
    svc = tmp_path / "svc"
    svc.mkdir()
    _wheel(svc / "authgate_test_dep-1.0-py3-none-any.whl")
    shutil.copy(APPS / "attacker" / "app.py", svc / "app.py")
    (svc / "app.py").write_text(
        "import authgate_test_dep  # installed by service.install\n" + (svc / "app.py").read_text()
    )
    notes = Path(tempfile.mkdtemp(prefix="authgate-hostile-notes-"))
    notes.chmod(0o777)
    cfg = CONFIG.format(mode="none", notes=notes, gate_file=tmp_path / "unused")
    cfg = cfg.replace(
        "service:\n", 'service:\n  install: "pip install -q --no-index ./authgate_test_dep-1.0-py3-none-any.whl"\n', 1
    )
    (svc / ".authgate.yml").write_text(cfg)
    p, report = scan_report(svc, tmp_path)
    assert p.returncode == 0 and report["verdict"] == "pass", p.stdout + p.stderr
    with pytest.raises(ImportError):  # never into the gate's own environment
        __import__("authgate_test_dep")


def _wheel(path: Path) -> None:
    """A one-module wheel, made here: pip installs it without a network or a build backend."""
    files = {
        "authgate_test_dep/__init__.py": "READY = True\n",
        "authgate_test_dep-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: authgate-test-dep\nVersion: 1.0\n",
        "authgate_test_dep-1.0.dist-info/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = [f"{name},," for name in files] + ["authgate_test_dep-1.0.dist-info/RECORD,,"]
    with zipfile.ZipFile(path, "w") as whl:
        for name, text in files.items():
            whl.writestr(name, text)
        whl.writestr("authgate_test_dep-1.0.dist-info/RECORD", "\n".join(record) + "\n")


def test_a_pythonpath_folder_below_a_closed_home_is_readable_and_nothing_beside_it(tmp_path: Path) -> None:
    """service.env's PYTHONPATH may name a folder below a home other users cannot pass (pip --target into
    ~/.cache): the sandbox's user imports from it, and the rest of that home stays out of sight."""
    (tmp_path / "root").mkdir()
    box = Sandbox.create(tmp_path / "root")
    try:
        if box.reopen is None or box.uid is None:
            pytest.skip("the interpreter is open to other users here: no folder is reopened")
        closed = Path(box.reopen[0][0])
        deps = Path(tempfile.mkdtemp(prefix="authgate-test-deps-", dir=closed))
        beside = Path(tempfile.mkdtemp(prefix="authgate-test-beside-", dir=closed))
        try:
            deps.chmod(0o755)  # as pip --target leaves it
            (deps / "gate_test_dep.py").write_text("VALUE = 'imported'\n")
            (beside / "private.txt").write_text("root's own\n")
            env = box.env({"PYTHONPATH": str(deps)})
            code = f"import gate_test_dep, os; print(gate_test_dep.VALUE, os.path.exists({str(beside)!r}))"
            proc = subprocess.run(
                box.argv([sys.executable, "-c", code], env),
                cwd=box.root,
                env=env,
                capture_output=True,
                text=True,
                timeout=30,
                **box.popen_kwargs(),
            )
        finally:
            shutil.rmtree(deps, ignore_errors=True)
            shutil.rmtree(beside, ignore_errors=True)
    finally:
        box.close()
    assert proc.stdout.split() == ["imported", "False"], proc.stderr


def test_a_virtualenv_behind_a_second_closed_folder_is_reopened_too(tmp_path: Path) -> None:
    """A fresh clone in a 0700 temporary folder (`mktemp -d`) with a pyenv under /root (0700): both folders
    are opened in the service's mount namespace, and the service still runs as a user of its own (it failed
    with `uvicorn: Permission denied`)."""
    if os.geteuid() != 0:
        pytest.skip("only root gives the service a user of its own")
    clone = Path(tempfile.mkdtemp(prefix="authgate-clone-"))  # 0700, below /tmp: a second closed folder
    try:
        (clone / "venv" / "bin").mkdir(parents=True)
        (clone / "venv" / "bin" / "tool").write_text("#!/bin/sh\necho reached $(id -u)\n")
        (clone / "venv" / "bin" / "tool").chmod(0o755)
        (clone / "secret.txt").write_text("beside the clone\n")
        (tmp_path / "root").mkdir()
        box = Sandbox.create(tmp_path / "root")
        try:
            if box.uid is None or box.reopen is None:
                pytest.skip("no mount namespace here: the service runs as the gate's own user")
            box.reopen = [*box.reopen, (str(clone), "venv")]  # what create() finds for a venv in such a clone
            code = f"{clone}/venv/bin/tool; test -e {clone}/secret.txt && echo visible || echo hidden"
            proc = subprocess.run(
                box.argv(["sh", "-c", code]), cwd=box.root, capture_output=True, text=True, timeout=30,
                **box.popen_kwargs(),
            )  # fmt: skip
            assert proc.stdout.split() == ["reached", str(box.uid), "hidden"], proc.stderr
        finally:
            box.close()
    finally:
        shutil.rmtree(clone)


def test_create_finds_every_closed_folder_of_the_interpreter_and_the_virtualenv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root gives the service a user of its own")
    first, second = Path(tempfile.mkdtemp(prefix="authgate-pyenv-")), Path(tempfile.mkdtemp(prefix="authgate-clone-"))
    try:
        for folder in (first, second):
            (folder / "inside").mkdir()
        (first / "inside" / "python").write_text("")
        monkeypatch.setattr(sys, "executable", str(first / "inside" / "python"))
        monkeypatch.setattr(sys, "prefix", str(second / "inside"))
        (tmp_path / "root").mkdir()
        box = Sandbox.create(tmp_path / "root")
        try:
            if box.reopen is None:
                pytest.skip("no mount namespace here")
            assert box.reopen == [(str(first), "inside"), (str(second), "inside")] and box.uid is not None
        finally:
            box.close()
    finally:
        for folder in (first, second):
            shutil.rmtree(folder)
