"""Throwaway accounts and the service's own password hashing (gate/auth/users.py): config rules, records, seeding."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.auth import users
from gate.config import ConfigError, parse_config
from gate.dynamo import fixtures, local, snapshot, tables
from gate.dynamo.client import dynamodb_client
from gate.errors import ScanError
from tests.auth.conftest import BASE, _cfg
from tests.conftest import sandbox


# -- config, accounts, hashing ---------------------------------------------------------------
def test_config_rules_for_users_and_password_hash() -> None:
    with pytest.raises(ConfigError) as exc:
        _cfg(password_hash={"command": "x", "callable": "m:f"})
    assert "auth.password_hash.command or auth.password_hash.callable (exactly one)" in str(exc.value)
    with pytest.raises(ConfigError) as exc:
        _cfg(password_hash={"callable": "m:f"})
    assert "auth.password_hash: needs auth.users" in str(exc.value)
    with pytest.raises(ConfigError) as exc:
        _cfg(users={"table": "nope", "template": "carol"})
    assert exc.value.problems == [
        "auth.users.table: unknown table 'nope'",
        "auth.users.template: unknown identity 'carol'",
    ]
    with pytest.raises(ConfigError) as exc:
        _cfg(password_hash={"callable": "not a path"}, users={"table": "people"})
    assert "expected module:function" in str(exc.value)


def test_throwaway_accounts_follow_the_template_record() -> None:
    cfg = _cfg(users={"table": "people"}, password_hash={"command": "cat"}, login={"path": "/login"})
    accts = users.accounts(cfg, "s1")
    # alice's record has `enabled` but no `email_confirmed`: only the enabled variants are made
    assert set(accts) == {"control", "logout", "ratelimit", "enum", "disabled", "no-enabled"}
    assert accts["disabled"].email == "authgate-disabled@corp.test" and accts["disabled"].can_login
    assert accts["no-enabled"].state == {"enabled": users.MISSING}
    assert (
        users.accounts(cfg, "s1")["enum"].password
        == accts["enum"].password
        != users.accounts(cfg, "s2")["enum"].password
    )
    rec = users.record(cfg, accts["no-enabled"], ("alice", BASE["fixtures"][0]["item"]), "HASH")
    assert rec == {
        "pk": "authgate-no-enabled",
        "email": "authgate-no-enabled@corp.test",
        "name": "Authgate no-enabled",
        "plan": "pro",
        "password_hash": "HASH",
    }
    assert users.unknown_email(cfg) == "authgate-nobody@corp.test"


def _hasher(tmp_path: Path) -> Path:
    (tmp_path / "hashing.py").write_text(
        "import sys\nprint('noise on import')\ndef h(pw):\n    return 'H:' + pw[::-1]\n"
        "if __name__ == '__main__':\n    sys.stdout.write(h(sys.stdin.read()))\n"
    )
    return tmp_path


def test_the_services_own_hashing_runs_in_a_subprocess(tmp_path: Path) -> None:
    root = _hasher(tmp_path)
    for how in ({"callable": "hashing:h"}, {"command": "python hashing.py"}):
        cfg = parse_config({**BASE, "auth": {"users": {"table": "people"}, "password_hash": how}})
        with sandbox(root) as box:
            assert users.hash_passwords(cfg, box, root, ["abc", "Pw-1"], "s") == ["H:cba", "H:1-wP"]
    assert "hashing" not in __import__("sys").modules  # never imported into the gate


def test_a_password_hashed_once_is_never_hashed_again_in_the_same_scan(tmp_path: Path) -> None:
    """`seed` hashes account-state's changed password with the others: asking for it later starts no process."""
    (tmp_path / "hashing.py").write_text("import os\ndef h(pw):\n    return f'H:{pw}:{os.getpid()}'\n")
    cfg = parse_config({**BASE, "auth": {"users": {"table": "people"}, "password_hash": {"callable": "hashing:h"}}})
    changed = users.changed_password(users.accounts(cfg, "once")["control"])
    with sandbox(tmp_path) as box:
        first = users.hash_passwords(cfg, box, tmp_path, ["a", changed], "once")
        pids = {h.rsplit(":", 1)[1] for h in first}
        assert len(pids) == 1 and first[1].startswith(f"H:{changed}:")  # one process for both
        assert users.hash_passwords(cfg, box, tmp_path, [changed, "a"], "once") == first[::-1]  # no new process
        other = users.hash_passwords(cfg, box, tmp_path, ["a"], "another scan")
        assert other[0].rsplit(":", 1)[1] not in pids


def test_hashing_failures_are_scan_errors(tmp_path: Path) -> None:
    root = _hasher(tmp_path)
    cfg = parse_config({**BASE, "auth": {"users": {"table": "people"}, "password_hash": {"callable": "hashing:nope"}}})
    with sandbox(root) as box, pytest.raises(ScanError) as exc:
        users.hash_passwords(cfg, box, root, ["x"], "s")
    assert exc.value.message == "auth.password_hash: hashing:nope exited with code 1"
    assert any("AttributeError" in line for line in exc.value.details)
    cfg = parse_config({**BASE, "auth": {"users": {"table": "people"}, "password_hash": {"command": "no-such-cmd"}}})
    with sandbox(root) as box, pytest.raises(ScanError, match="command not found: no-such-cmd"):
        users.hash_passwords(cfg, box, root, ["x"], "s")


def test_seeding_writes_hashes_and_accounts_without_touching_other_records(
    dynamo: local.DynamoLocal, tmp_path: Path
) -> None:
    data = {
        **BASE,
        "dynamodb": {"tables": [{"name": "people_seed", "key": {"pk": "S"}}]},
        "fixtures": [{**fx, "table": "people_seed"} for fx in BASE["fixtures"]],
        "auth": {"users": {"table": "people_seed"}, "password_hash": {"callable": "hashing:h"}},
    }
    data["fixtures"][0]["item"] = {**data["fixtures"][0]["item"], "pk": "u-1"}  # a key that is not the sub
    cfg = parse_config(data)
    client = dynamodb_client(dynamo.endpoint)
    tabs = list(cfg.dynamodb.tables)
    tables.create_tables(client, tabs)
    owned = fixtures.write_fixtures(client, tabs, cfg.fixtures)
    root = _hasher(tmp_path)
    with sandbox(root) as box:
        owned, seeded = users.seed(cfg, box, root, client, tabs, owned, snapshot.take(client, tabs), "s")
    rows = seeded["people_seed"]
    assert rows[("u-1",)]["password_hash"] == "H:1-ssap-ecilA" and rows[("u-1",)]["name"] == "Alice A"
    assert owned[0].item["password_hash"] == "H:1-ssap-ecilA"
    disabled = next(r for r in rows.values() if r["email"] == "authgate-disabled@corp.test")
    assert disabled["enabled"] is False and disabled["pk"] == "authgate-disabled"
    assert len(rows) == 2 + 6


def test_the_hashing_runs_under_the_service_s_own_virtualenv(tmp_path: Path) -> None:
    """auth.password_hash.callable imports what the service's virtualenv has (bcrypt there, not in the gate's):
    it runs under that interpreter, which comes first on PATH too (issue 14)."""
    import shutil
    import subprocess
    import sys
    import tempfile

    # a workspace other users may pass (pytest's own folders are 0700): the venv is linked, not copied
    root = Path(tempfile.mkdtemp(prefix="authgate-venv-svc-"))
    root.chmod(0o755)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / ".venv")], check=True, timeout=120)
    site = next((root / ".venv" / "lib").glob("python*/site-packages"))
    (site / "only_in_service_venv.py").write_text("def digest(pw):\n    return 'venv:' + pw[::-1]\n")
    (root / "hashing.py").write_text("import only_in_service_venv\nhash = only_in_service_venv.digest\n")
    cfg = _cfg(
        password_hash={"callable": "hashing:hash"},
        users={"table": "people"},
    )
    try:
        with sandbox(root) as box:
            assert box.service_venv() is not None
            path = box.env({})["PATH"].split(":")
            assert any(p.endswith(".venv/bin") for p in path) and str(Path(sys.executable).parent) not in path
            assert users.hash_passwords(cfg, box, root, ["abc"], "s3cret") == ["venv:cba"]
    finally:
        shutil.rmtree(root, ignore_errors=True)
