"""The probe engine after a provoked 500: uvicorn closes that connection, the next probe must still arrive."""

from __future__ import annotations

import asyncio

from gate.config import parse_config
from gate.target import service
from gate.target.probe import Prober
from gate.target.sandbox import Sandbox
from tests.conftest import APPS


def test_probes_after_unhandled_500s_are_never_lost() -> None:
    cfg = parse_config(
        {
            "version": 1,
            "service": {"command": "uvicorn boom:app --host 127.0.0.1 --port {port}", "ready": "/ok"},
            "identities": {"alice": {"sub": "alice"}, "bob": {"sub": "bob"}},
        }
    )
    box = Sandbox.create(APPS)
    svc = service.start(cfg, APPS, ["http://127.0.0.1:9"], {}, box)
    try:

        async def go() -> list[tuple[str, int, str | None]]:
            prober = Prober([svc.instances[0].base_url], None)
            try:
                out = []
                for _ in range(40):  # without the resend, some of these met a closed keep-alive connection
                    for path in ("/boom", "/ok"):
                        ex = await prober.send("GET", path)
                        out.append((path, ex.status, ex.error))
                return out
            finally:
                await prober.aclose()

        results = asyncio.run(go())
    finally:
        svc.stop()
        box.close()
    assert [r for r in results if r[1] != {"/boom": 500, "/ok": 200}[r[0]]] == []
