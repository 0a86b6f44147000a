"""The JVM the `authgate` command prestarts before its imports (issue 17): taken once, killed when unused."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from gate import entry
from gate.dynamo import jvm, local


def _gone(pid: int, within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_a_prestarted_jvm_is_the_one_the_scan_takes_and_only_once() -> None:
    jvm.prestart()
    early = jvm._early
    assert early is not None
    ddb = local.launch()
    try:
        assert ddb.proc is early.proc and ddb.endpoint == f"http://127.0.0.1:{early.port}"
        assert jvm.take() is None  # a second scan in the same process starts its own
        ddb.wait_ready()
        assert local.ping(ddb.endpoint)
    finally:
        ddb.stop()
    assert _gone(early.proc.pid)


def test_a_prestarted_jvm_nobody_takes_dies_with_the_gate() -> None:
    code = "from gate.dynamo import jvm; jvm.prestart(); print(jvm._early.proc.pid, flush=True)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    pid = int(done.stdout.split()[0])
    assert _gone(pid), "the unused JVM outlived the gate"


def test_discard_stops_it_and_removes_its_directory() -> None:
    jvm.prestart()
    early = jvm._early
    assert early is not None
    jvm.discard()
    assert jvm._early is None and _gone(early.proc.pid) and not early.workdir.exists()


def test_a_jvm_that_died_before_it_was_taken_is_not_handed_over() -> None:
    jvm.prestart()
    early = jvm._early
    assert early is not None
    early.proc.kill()
    early.proc.wait()
    assert jvm.take() is None and not early.workdir.exists()


def test_without_an_install_nothing_is_prestarted_and_the_scan_says_why(
    tmp_path: os.PathLike[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTHGATE_DYNAMODB_LOCAL", str(tmp_path))
    jvm.prestart()
    assert jvm._early is None
    with pytest.raises(local.ScanError, match="not installed") as err:
        local.launch()
    assert "install-dynamodb-local" in " ".join(err.value.details)


@pytest.mark.parametrize(
    ("argv", "prestarts"),
    [(["scan", "examples/x"], True), (["scan", "--help"], False), (["init"], False), (["merge", "a"], False)],
)
def test_only_a_scan_prestarts_the_jvm(argv: list[str], prestarts: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bool] = []
    monkeypatch.setattr(jvm, "prestart", lambda: calls.append(True))
    monkeypatch.setattr("gate.cli.main", lambda args: 0)
    monkeypatch.setattr(sys, "argv", ["authgate", *argv])
    absent = [name for name in entry.NOT_IN_A_SCAN if name not in sys.modules]
    try:
        assert entry.cli() == 0
    finally:
        for name in absent:  # the shut-out modules stay importable for the rest of the test session
            sys.modules.pop(name, None)
    assert calls == ([True] if prestarts else [])


def test_a_scan_never_loads_the_other_commands_modules_and_cannot_later() -> None:
    """PyGithub and `authgate init` stay out of a scan (memory), and once the service could have rewritten
    their files, importing them fails instead of reading them."""
    code = (
        "import sys\n"
        "import gate.cli\n"
        "def main(argv):\n"
        "    import gate.scan\n"
        "    gate.scan._preload()\n"
        "    out = ('github', 'gate.publish', 'gate.init', 'gate.action')\n"
        "    print(sorted(m for m, v in sys.modules.items() if m.startswith(out) and v is not None))\n"
        "    for name in ('gate.init', 'gate.publish.github', 'gate.action'):\n"
        "        try:\n"
        "            __import__(name)\n"
        "        except ImportError:\n"
        "            print('refused', name)\n"
        "    return 0\n"
        "gate.cli.main = main\n"
        "sys.argv = ['authgate', 'scan', 'nowhere']\n"
        "from gate.dynamo import jvm\n"
        "jvm.prestart = lambda: None\n"
        "from gate import entry\n"
        "sys.exit(entry.cli())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split("\n")[:4] == [
        "[]",
        "refused gate.init",
        "refused gate.publish.github",
        "refused gate.action",
    ], done.stdout


def test_the_action_prestarts_only_in_the_copy_without_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bool] = []
    monkeypatch.setattr(jvm, "prestart", lambda: calls.append(True))
    monkeypatch.setattr("gate.action.main", lambda: 0)
    for key in entry.SECRET_ENV:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("INPUT_GITHUB_TOKEN", "ghs_x")
    assert entry.action() == 0 and calls == []
    monkeypatch.delenv("INPUT_GITHUB_TOKEN")
    assert entry.action() == 0 and calls == [True]
