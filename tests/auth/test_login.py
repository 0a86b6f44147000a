"""The login flow: tokens from a dotted JSON path, a cookie or a form login; clear errors, exit 2.

The login lab (tests/apps/login_lab.py) runs once for the module on 127.0.0.1; each test logs the
identities in with a different `auth.login` and checks the token it got or the one-line error.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from gate.auth.identities import Identity, minted_identities
from gate.auth.login import login_all
from gate.config import Config, parse_config
from gate.errors import ScanError
from gate.target import service
from tests.conftest import APPS, run_cli, sandbox

BASE: dict[str, Any] = {
    "version": 1,
    "service": {
        "command": "uvicorn login_lab:app --host 127.0.0.1 --port {port} --log-level warning",
        "workdir": str(APPS),
    },
    "identities": {
        "alice": {"sub": "alice", "email": "alice@example.test", "password": "Alice-pass-1"},
        "bob": {"sub": "bob", "email": "bob@example.test", "password": "Bob-pass-1"},
    },
}


def _cfg(login: dict[str, Any], **identities: dict[str, Any]) -> Config:
    data = {**BASE, "auth": {"login": login}, "identities": {**BASE["identities"], **identities}}
    return parse_config(data)


@pytest.fixture(scope="module")
def lab() -> Iterator[str]:
    cfg = _cfg({"path": "/login"})
    with sandbox(APPS) as box:
        svc = service.start(cfg, APPS, ["http://127.0.0.1:9"], {}, box)
        try:
            yield svc.instances[0].base_url
        finally:
            svc.stop()


def _login(cfg: Config, base_url: str) -> dict[str, Identity]:
    idents = minted_identities(cfg, "unused-secret")
    login_all(cfg, idents, base_url)
    return idents


def _error(cfg: Config, base_url: str) -> str:
    with pytest.raises(ScanError) as exc:
        _login(cfg, base_url)
    return exc.value.message


def test_token_from_a_dotted_json_path(lab: str) -> None:
    idents = _login(_cfg({"path": "/login", "token": "data.session.token"}), lab)
    assert idents["alice"].token == "tok-alice-0123456789"
    assert idents["bob"].headers == {"Authorization": "Bearer tok-bob-0123456789"}


def test_identities_log_in_side_by_side(lab: str) -> None:
    """A bcrypt login costs the service a quarter second: every identity's is in flight at once (issue 17)."""
    idents = _login(_cfg({"path": "/login-together", "token": "data.session.token"}), lab)
    assert {i.name: i.token for i in idents.values()} == {
        "alice": "tok-alice-0123456789",
        "bob": "tok-bob-0123456789",
    }


def test_token_from_a_cookie(lab: str) -> None:
    idents = _login(_cfg({"path": "/login-cookie", "cookie": "session"}), lab)
    assert idents["alice"].cookies == {"session": "tok-alice-0123456789"}
    assert idents["alice"].headers == {}


def test_form_encoded_login(lab: str) -> None:
    idents = _login(_cfg({"path": "/login-form", "form": True}), lab)
    assert idents["bob"].token == "tok-bob-0123456789"


def test_wrong_path_says_404_and_which_setting_to_check(lab: str) -> None:
    msg = _error(_cfg({"path": "/signin", "token": "data.session.token"}), lab)
    assert msg.startswith("login as alice: POST /signin answered 404 (is auth.login.path right?)")
    assert '{"detail":"Not Found"}' in msg


def test_wrong_credentials_say_401_with_the_body_and_never_the_password(lab: str) -> None:
    cfg = _cfg(
        {"path": "/login", "token": "data.session.token"},
        bob={"sub": "bob", "email": "bob@example.test", "password": "Not-bobs-pass"},
    )
    msg = _error(cfg, lab)
    assert msg.startswith("login as bob: POST /login answered 401 (wrong credentials?")
    assert msg.endswith('body: {"detail":"bad credentials"}')
    assert "Not-bobs-pass" not in msg


def test_missing_token_path_names_the_path_and_the_keys_there(lab: str) -> None:
    msg = _error(_cfg({"path": "/login", "token": "data.session.jwt"}), lab)
    assert msg.startswith(
        "login as alice: POST /login answered 200 but the JSON has no 'data.session.jwt' (auth.login.token): "
        "no key 'jwt' (keys there: token)"
    )
    # the answer may hold the token at another path: a 2xx body is shown only as its shape
    assert msg.endswith('body: {"data": {"session": {"token": "<20 chars>"}}, "ok": true}')
    msg = _error(_cfg({"path": "/login"}), lab)  # the default path, access_token
    assert "has no 'access_token' (auth.login.token): no key 'access_token' (keys there: data, ok)" in msg


def test_a_body_that_is_not_json(lab: str) -> None:
    msg = _error(_cfg({"path": "/login-text"}), lab)
    assert msg.startswith("login as alice: POST /login-text answered 200 but the body is not JSON")
    assert msg.endswith("body: welcome back")


def test_missing_cookie_lists_the_cookies_that_were_set(lab: str) -> None:
    msg = _error(_cfg({"path": "/login-cookie", "cookie": "sid"}), lab)
    assert "answered 200 but set no cookie 'sid' (auth.login.cookie); cookies set: theme, session" in msg


def test_unreachable_service(lab: str) -> None:
    msg = _error(_cfg({"path": "/login"}), "http://127.0.0.1:9")
    assert msg.startswith("login as alice: POST /login failed: ConnectError")


def test_an_identity_without_the_email_the_body_needs(lab: str) -> None:
    cfg = _cfg({"path": "/login"}, bob={"sub": "bob", "password": "Bob-pass-1"})
    with pytest.raises(ScanError) as exc:
        _login(cfg, lab)
    assert exc.value.message == "identities.bob.email: needed by auth.login.body ({email})"


def test_a_scan_that_cannot_log_in_exits_2_with_the_reason(tmp_path: Path) -> None:
    data = {**BASE, "auth": {"login": {"path": "/signin"}}}
    (tmp_path / ".authgate.yml").write_text(yaml.safe_dump(data, sort_keys=False))
    out = tmp_path / "r.json"
    p = run_cli("scan", str(tmp_path), "--output", str(out))
    assert p.returncode == 2, p.stderr
    assert "could not scan: login as alice: POST /signin answered 404 (is auth.login.path right?)" in p.stderr
    assert "Traceback" not in p.stderr
    assert '"verdict": "error"' in out.read_text()
