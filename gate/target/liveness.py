"""Is the service still there? A service that exits or stops answering during the checks is never a pass.

The probe engine reports every probe that ended in a transport error. When the service process of
that lane has exited, the gate says so: the probe in flight when the connection broke is the one
that took it down (`Crash`, proof of a denial of service: errors.crash), its exit status and last
log lines are kept, and the service is restarted once, the same way on the same port, so the rest
of the scan still runs. Every probe that met a dead service is `lost`: the operation it belonged to
was not tested, so the scan is incomplete. A second death is not restarted.

A probe whose connection was refused (ConnectError) did not kill the service: it was already dead
(it died between probes, from background work) and that probe is lost, not blamed. Later probes of
an operation that killed the service are not sent (the crash is its finding; another probe of it
would only kill the restarted service again).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from gate.errors import ScanError
from gate.target.probe import Exchange, Prober
from gate.target.service import LOG_TAIL, Service

MAX_RESTARTS = 1


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

    async def on_error(self, ex: Exchange) -> None:
        """Called by the probe engine for every probe that ended in a transport error."""
        if ex.lane >= len(self.service.instances):
            return
        inst = self.service.instances[ex.lane]
        async with self._lock:
            if inst.proc is None or inst.proc.poll() is None:
                return  # alive: a timeout or a reset of its own, judged by the checks
            if self.deaths > MAX_RESTARTS or self.restart_failed:
                self.lost.append(ex)  # dead for good: every later probe on it is lost
                return
            self.deaths += 1
            code = inst.proc.returncode
            log = inst.log_lines()[-LOG_TAIL:]
            restarted = False
            if self.deaths <= MAX_RESTARTS:
                try:
                    await asyncio.to_thread(self.service.restart, ex.lane)
                    restarted = True
                except ScanError as exc:
                    self.restart_failed = exc.message
            killed_it = not (ex.error or "").startswith("ConnectError")
            if killed_it:
                self.crashes.append(Crash(exchange=ex, exit_code=code, log=log, restarted=restarted))
            if not (killed_it and restarted):  # the probe that took it down was tested: its answer is the crash
                self.lost.append(ex)

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
