"""The pieces of the authentication checks that need no service: statistics, tokens, accounts, hashing."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import jwt
import pytest

from gate.auth import jwtcraft, users
from gate.auth.identities import key_material, mint, minted_identities, service_env
from gate.checks.enumeration import Pair, response_difference
from gate.checks.stats import mann_whitney_u
from gate.config import ConfigError, parse_config
from gate.dynamo import fixtures, local, snapshot, tables
from gate.dynamo.client import dynamodb_client
from gate.errors import ScanError
from gate.target.probe import Exchange
from tests.conftest import sandbox

BASE: dict[str, Any] = {
    "version": 1,
    "service": {"command": "uvicorn app:app --port {port}"},
    "dynamodb": {"tables": [{"name": "people", "key": {"pk": "S"}}]},
    "identities": {
        "alice": {"sub": "alice", "email": "alice@corp.test", "password": "Alice-pass-1"},
        "bob": {"sub": "bob", "email": "bob@corp.test", "password": "Bob-pass-1"},
    },
    "fixtures": [
        {
            "table": "people",
            "owner": "alice",
            "item": {"pk": "alice", "email": "alice@corp.test", "name": "Alice A", "enabled": True, "plan": "pro"},
        },
        {"table": "people", "owner": "bob", "item": {"pk": "bob", "email": "bob@corp.test", "enabled": True}},
    ],
}


def _cfg(**auth: Any) -> Any:
    return parse_config({**BASE, "auth": auth})


# -- Mann-Whitney U ----------------------------------------------------------------------------
def test_mann_whitney_exact_p_values() -> None:
    t = mann_whitney_u([1, 2, 3], [4, 5, 6])
    assert (t.u, t.method) == (0, "exact") and t.p == pytest.approx(0.1)  # 2 of C(6,3) = 20 orderings
    t = mann_whitney_u([10.0 + i for i in range(8)], [1.0 + i / 10 for i in range(8)])
    assert t.u == 64 and t.effect == 1 and t.p == pytest.approx(2 / math.comb(16, 8))
    t = mann_whitney_u([1, 4, 5, 8], [2, 3, 6, 7])  # interleaved: no evidence at all
    assert t.u == 8 and t.p == pytest.approx(1.0)


def test_mann_whitney_with_ties_uses_the_corrected_normal_approximation() -> None:
    t = mann_whitney_u([5.0] * 10, [5.0] * 10)
    assert t.method.startswith("normal approximation") and t.p == pytest.approx(1.0)
    t = mann_whitney_u([9.0, 9.0, 8.0, 9.5] * 4, [1.0, 1.0, 2.0, 1.5] * 4)
    assert t.p < 0.001 and t.effect == 1


def test_one_slow_request_is_not_a_timing_difference() -> None:
    fast = [3.0, 3.2, 2.9, 3.1, 3.0, 3.3, 2.8, 3.1]
    t = mann_whitney_u([*fast[:7], 400.0], [3.1, 3.0, 2.9, 3.2, 3.0, 3.1, 3.2, 2.9])
    assert t.p > 0.05


def _ex(status: int, text: str) -> Exchange:
    return Exchange(id=0, lane=0, method="POST", path="/login", identity=None, request_headers={},
                    request_body=None, status=status, text=text)  # fmt: skip


def test_response_difference_needs_consistent_answers() -> None:
    e, u = "someone@corp.test", "nobody@corp.test"
    same = [Pair(_ex(401, f'{{"detail": "no login for {e}"}}'), _ex(401, f'{{"detail": "no login for {u}"}}'))] * 3
    assert response_difference(same, e, u) is None  # only the echoed address differs
    diff = [Pair(_ex(401, '{"detail": "wrong password"}'), _ex(404, '{"detail": "user not found"}'))] * 3
    assert response_difference(diff, e, u) == "status"
    assert response_difference(diff[:2], e, u) is None  # too few pairs
    body = [Pair(_ex(401, '{"detail": "wrong password"}'), _ex(401, '{"detail": "no such user"}'))] * 3
    assert response_difference(body, e, u) == "body"
    noisy = [Pair(_ex(401, f'{{"req": "{i}abcdef0123456789"}}'), _ex(401, f'{{"req": "{i}fedcba9876543210"}}'))
             for i in range(4)]  # fmt: skip
    assert response_difference(noisy, e, u) is None  # request ids are not a difference


# -- tokens ------------------------------------------------------------------------------------
def test_crafted_tokens_are_what_pyjwt_expects() -> None:
    tok = jwtcraft.encode({"alg": "HS256", "typ": "JWT"}, {"sub": "alice"}, "k" * 32)
    assert jwt.decode(tok, "k" * 32, algorithms=["HS256"]) == {"sub": "alice"}
    parsed = jwtcraft.parse(tok)
    assert parsed is not None and parsed.alg == "HS256" and jwtcraft.verifies(parsed, "k" * 32)
    unsigned = jwtcraft.encode({"alg": "nOnE"}, {"sub": "bob"})
    assert unsigned.endswith(".") and jwtcraft.parse(unsigned).header == {"alg": "nOnE"}  # type: ignore[union-attr]
    assert jwtcraft.parse("not.a.jwt") is None and jwtcraft.parse("authgate.garbage.token") is None


def test_rs256_minting_and_the_key_handed_to_the_service() -> None:
    cfg = _cfg(jwt={"algorithm": "RS256", "public_key_env": "PUB", "private_key_env": "PRIV"})
    env = service_env(cfg, "scan-secret")
    assert env["PUB"].startswith("-----BEGIN PUBLIC KEY-----") and "PRIVATE KEY" in env["PRIV"]
    tok = mint(cfg, "scan-secret", "alice", {"role": "x"})
    claims = jwt.decode(tok, env["PUB"], algorithms=["RS256"])
    assert claims["sub"] == "alice" and claims["role"] == "x" and claims["exp"] > time.time() and claims["jti"]
    assert key_material(cfg, "scan-secret").public_pem == env["PUB"].encode()  # one pair per scan
    jwk = jwtcraft.public_jwk(env["PUB"].encode(), "k1")
    assert jwk["kty"] == "RSA" and jwk["kid"] == "k1"


def test_crack_finds_a_wordlist_secret_and_its_mutations() -> None:
    words = jwtcraft.wordlist()
    assert "your-256-bit-secret" in words and len(words) > 300
    for secret in ("your-256-bit-secret", "Changeme123", "SUPERSECRET"):
        tok = jwtcraft.parse(jwtcraft.encode({"alg": "HS256"}, {"sub": "a"}, secret))
        assert tok is not None
        found, tried, _ = jwtcraft.crack(tok, words, seconds=5)
        assert found is not None and found.secret == secret and found.tried <= tried


def test_crack_gives_up_on_a_strong_secret_within_its_bound() -> None:
    tok = jwtcraft.parse(jwtcraft.encode({"alg": "HS256"}, {"sub": "a"}, "q8Zx-strong-random-Lk2v9PqR7sT1wY4"))
    assert tok is not None
    found, tried, spent = jwtcraft.crack(tok, jwtcraft.wordlist(), seconds=5)
    assert found is None and tried > 5000 and spent < 5
    found, tried, _ = jwtcraft.crack(tok, jwtcraft.wordlist(), seconds=0)
    assert found is None and tried == 2048  # the bound is checked every 2048 candidates


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


def test_api_key_identities_send_their_key_and_never_log_in() -> None:
    from gate.auth.login import login_all

    data = {
        **BASE,
        "auth": {"api_key": {"header": "X-Api-Key"}, "login": {"path": "/login"}},
        "identities": {
            "alice": {"sub": "alice", "api_key": "ak_alice_0123456789"},
            "bob": {"sub": "bob", "api_key": "ak_bob_0123456789"},
        },
    }
    cfg = parse_config(data)
    idents = minted_identities(cfg, "s")
    login_all(cfg, idents, "http://127.0.0.1:9")  # nothing to log in: no request is made
    assert idents["alice"].headers == {"X-Api-Key": "ak_alice_0123456789"} and idents["alice"].token is None


def test_the_enumeration_note_counts_the_pairs_that_really_differ() -> None:
    from gate.checks.enumeration import Pair, differing_pairs, response_difference
    from gate.target.probe import Exchange

    def ex(status: int, body: str) -> Exchange:
        return Exchange(id=1, lane=0, method="POST", path="/login", identity=None, request_headers={},
                        request_body=None, status=status, text=body)  # fmt: skip

    pairs = [Pair(ex(401, "bad password"), ex(404, "no such user")) for _ in range(4)]
    pairs.append(Pair(ex(404, "no such user"), ex(404, "no such user")))  # one stray answer: the mode still tells
    assert response_difference(pairs, "a@x.test", "b@x.test") == "status"
    assert differing_pairs(pairs, "status", "a@x.test", "b@x.test") == 4


def test_account_records_are_told_from_other_items() -> None:
    from types import SimpleNamespace

    from gate.auth.identities import Identity
    from gate.checks.mass_assignment import _accounts, _key_id
    from gate.config import TableConfig
    from gate.dynamo.fixtures import OwnedItem

    alice = Identity(name="alice", sub="alice", role=None)
    tables = [
        TableConfig(name="profiles", key={"user_id": "S"}),
        TableConfig(name="single", key={"pk": "S", "sk": "S"}),
        TableConfig(name="posts", key={"owner_id": "S", "post_id": "S"}),
    ]
    owned = [
        OwnedItem("profiles", "alice", {"user_id": "alice"}, {"user_id": "alice"}),
        OwnedItem("single", "alice", {"pk": "USER#alice", "sk": "PROFILE"}, {"pk": "USER#alice", "sk": "PROFILE"}),
        OwnedItem("single", "alice", {"pk": "USER#alice", "sk": "ORDER#1"}, {"pk": "USER#alice", "sk": "ORDER#1"}),
        OwnedItem("posts", "alice", {"owner_id": "alice", "post_id": "p1"}, {"owner_id": "alice", "post_id": "p1"}),
    ]
    ctx = SimpleNamespace(cfg=SimpleNamespace(auth=SimpleNamespace(users=None)), tables=tables, owned=owned,
                          identities={"alice": alice})  # fmt: skip
    tables, records = _accounts(ctx, {"role", "is_admin"})
    assert tables == {"profiles"}  # keyed by the identity: every item is an account
    assert records == {("single", _key_id({"pk": "USER#alice", "sk": "PROFILE"}))}  # not the order next to it
