"""Is the service still there? A service that exits or stops answering during the checks is never a pass.

The probe engine reports every probe that ended in a transport error. When the service process of
that lane has exited, the gate restarts it (the same way, on the same port) and sends that probe
once more: a service dies on its own too (a timer, background work, the OOM killer), and the probe
in flight at that moment is not to blame for it. Only when the replay takes the restarted service
down again is the probe the cause (`Crash`, proof of a denial of service: errors.crash); its exit
status and last log lines are kept, the service is restarted again, and later probes of that
operation are not sent (the crash is its finding; another probe would only kill it again). When the
replay is answered, the answer is the probe's, and the death counts as one between probes.

Deaths not explained by a crash are restarted once (MAX_RESTARTS); after that every probe that meets
a dead service is `lost`: the operation it belonged to was not tested, so the scan is incomplete. A
probe whose connection was refused (ConnectError) did not kill the service: it was already dead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from gate.errors import ScanError
from gate.target.probe import Exchange, Prober
from gate.target.service import LOG_TAIL, Service

MAX_RESTARTS = 1
MAX_CRASHES = 3  # operations proven to kill the service, each restarted after its proof


@dataclass(frozen=True, slots=True)
class Crash:
    """The service died while `exchange` was in flight on its lane."""

    exchange: Exchange
    exit_code: int | None
    log: list[str]
    restarted: bool


@dataclass
class Liveness:
    service: Service
    same_operation: Callable[[str, str, str], bool]  # (method, path, other path): one operation?
    crashes: list[Crash] = field(default_factory=list)
    lost: list[Exchange] = field(default_factory=list)  # probes that met a dead service
    deaths: int = 0
    restart_failed: str | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def attach(self, prober: Prober) -> None:
        prober.on_error, prober.alive, prober.refuse = self.on_error, self.alive, self.refuse

    def alive(self, lane: int) -> bool:
        proc = self.service.instances[lane].proc if lane < len(self.service.instances) else None
        return proc is None or proc.poll() is None

    def refuse(self, method: str, path: str) -> str | None:
        """Probes of an operation that took the service down are not sent again: its crash is the finding,
        and another probe of it would only kill the restarted service."""
        for crash in self.crashes:
            ex = crash.exchange
            if ex.method == method.upper() and self.same_operation(method, path, ex.path):
                return f"not sent: {ex.method} {ex.path.split('?', 1)[0]} took the service down"
        return None

    async def on_error(self, ex: Exchange, replay_of: Exchange | None = None) -> bool:
        """Called by the probe engine for every probe that ended in a transport error; True: the service was
        restarted after it died with this probe in flight, so send the probe once more (`replay_of`: the
        first sending, when this is that replay)."""
        if ex.lane >= len(self.service.instances):
            return False
        inst = self.service.instances[ex.lane]
        async with self._lock:
            if inst.proc is None or inst.proc.poll() is None:
                return False  # alive: a timeout or a reset of its own, judged by the checks
            in_flight = not (ex.error or "").startswith("ConnectError")
            code, log = inst.proc.returncode, inst.log_lines()[-LOG_TAIL:]
            if replay_of is not None and in_flight and len(self.crashes) < MAX_CRASHES:
                # the same probe took the restarted service down again: it is the cause
                self.deaths -= 1  # that death is explained
                restarted = await self._restart(ex.lane)
                self.crashes.append(Crash(exchange=replay_of, exit_code=code, log=log, restarted=restarted))
                if not restarted:
                    self.lost.append(ex)
                return False
            if self.deaths >= MAX_RESTARTS or self.restart_failed:
                self.deaths = max(self.deaths, MAX_RESTARTS + 1)
                self.lost.append(ex)  # dead for good: every later probe on it is lost
                return False
            self.deaths += 1
            if not await self._restart(ex.lane):
                self.lost.append(ex)
                return False
            if in_flight and replay_of is None:
                return True
            self.lost.append(ex)
            return False

    async def _restart(self, lane: int) -> bool:
        try:
            await asyncio.to_thread(self.service.restart, lane)
        except ScanError as exc:
            self.restart_failed = exc.message
            return False
        return True

    def problems(self) -> list[str]:
        """Why the scan is incomplete, if the service died: named as such, with the probes it cost."""
        if not self.lost:
            return []  # died at most once, on a probe it answered by dying, and came back: the scan went on
        ops = sorted({f"{ex.method} {ex.path.split('?', 1)[0]}" for ex in self.lost})
        first = self.crashes[0] if self.crashes else None
        why = (
            f"the service exited with code {first.exit_code} during {first.exchange.method} "
            f"{first.exchange.path.split('?', 1)[0]} ({first.exchange.label or 'a probe'})"
            if first
            else "the service exited between probes"
        )
        then = (
            f"; restarting it failed: {self.restart_failed}"
            if self.restart_failed
            else ("; it was restarted once and died again" if self.deaths > MAX_RESTARTS else "; it was restarted")
        )
        shown = ", ".join(ops[:5]) + (f" and {len(ops) - 5} more" if len(ops) > 5 else "")
        return [f"{why}{then}: {len(self.lost)} probe(s) met a dead service and went untested ({shown})"]
