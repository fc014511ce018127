"""Chaos: a real `xerowatch run` against the loopback simulators, SIGKILLed at random points with
faults on, while learners and invoices keep arriving; then the invariants (`bench.chaos_checks`).

Used at CI size by `tests/e2e/test_chaos.py` (in `make test`) and at full size by
`python -m bench --scenario chaos`.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from bench.chaos_checks import ChaosWorld, check_invariants, converged
from bench.measure import Detail, PhaseResult, peak_rss_mb, source_key
from xerowatch.sim.demo import sim_config_text
from xerowatch.sim.server import serve_in_thread
from xerowatch.sim.wisenet import WisenetSim
from xerowatch.sim.xero import XeroSim, XeroSimConfig
from xerowatch.sim.xero.faults import Fault

STOP_TIMEOUT_S = 20.0
CONTACTS_EVERY_S = 3.0


@dataclass(frozen=True)
class ChaosPlan:
    """How big and how hostile one chaos run is."""

    learners: int = 40
    kills: int = 3
    fault_rate: float = 0.10
    """Share of requests (Xero and Wisenet) that fail: 500/503/drop/slow/429/answer lost."""
    life_s: tuple[float, float] = (2.0, 5.0)
    """Each daemon lives a random time in this range before its SIGKILL."""
    new_learners: int = 6
    invoices: int = 30
    """Learners added to Wisenet and invoices raised in Xero while the daemons run."""
    settle_timeout_s: float = 60.0
    token_ttl_s: int = 70
    """Xero access tokens live this long (renewed 60 s before expiry): several per run."""
    minute_limit: int = 60
    """Xero's per-tenant minute limit, in the simulator and the daemon's config alike; a CI-sized
    run lowers it so that its few calls a restart would fill a minute without the journal."""
    seed: int = 11


@dataclass
class ChaosResult:
    """What a chaos run did and what the invariants found."""

    plan: ChaosPlan
    kills: int = 0
    wall_s: float = 0.0
    settle_s: float = 0.0
    faults: dict[str, int] = field(default_factory=dict)
    xero_requests: int = 0
    wisenet_requests: int = 0
    xero_calls: dict[str, int] = field(default_factory=dict)
    """Accounting requests the Xero simulator answered, by method and path."""
    source_requests: dict[str, int] = field(default_factory=dict)
    learners_eligible: int = 0
    contacts_checked: int = 0
    transactions_checked: int = 0
    lost: int = 0
    duplicate_contacts: int = 0
    duplicate_writes: int = 0
    minute_429: int = 0
    outbox_running: int = 0
    outbox_dead: int = 0
    stranded: int = 0
    token_refreshes: int = 0
    token_refreshed_at_end: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def faults_injected(self) -> int:
        """Every fault the simulators injected."""
        return sum(self.faults.values())


def _xero_faults(xero: XeroSim, rate: float) -> list[Fault]:
    """Spread `rate` over Xero's failure modes; writes also lose answers after applying."""
    share = rate / 6
    add = xero.faults.add
    return [
        add("status", "*", None, status=500, rate=share),
        add("status", "*", None, status=503, rate=share),
        add("drop", "*", None, rate=share),
        add("slow", "*", None, delay=1.5, rate=share),
        add("status", "GET *", None, status=429, retry_after=2, rate=share),
        add("apply_then_503", "POST /Contacts", None, rate=share * 2),
        add("apply_then_drop", "POST /Contacts", None, rate=share),
    ]


class _Arrivals:
    """Learners and invoices created while the daemons run, stamped with the current time."""

    def __init__(self, world: ChaosWorld, plan: ChaosPlan, rng: random.Random) -> None:
        self.world = world
        self.plan = plan
        self.rng = rng
        self.invoices = 0
        self.learners = 0
        self._contacts: list[dict[str, object]] = []
        self._read_at = float("-inf")

    def step(self) -> None:
        """Maybe add a learner, maybe raise an invoice for a learner's contact."""
        plan, rng = self.plan, self.rng
        if self.learners < plan.new_learners and rng.random() < 0.3:
            self.learners += 1
            self.world.wisenet.data.add_learner(
                first_name="Newcomer",
                last_name=f"Arrival{self.learners}",
                email=f"arrival{self.learners}@example.com",
            )
        if self.invoices < plan.invoices:
            if time.monotonic() - self._read_at > CONTACTS_EVERY_S or not self._contacts:
                self._contacts = list(self.world.learner_contacts())  # costly at 3,000
                self._read_at = time.monotonic()
            if self._contacts:
                contact = rng.choice(self._contacts)
                self.invoices += 1
                self.world.xero.add_invoice(
                    self.world.tenant_id, str(contact["ContactID"]), Total=rng.randint(50, 900)
                )

    @property
    def done(self) -> bool:
        """Whether every planned learner and invoice has arrived."""
        return self.invoices >= self.plan.invoices and self.learners >= self.plan.new_learners

    def catch_up(self) -> None:
        """Let arrive what the lives were too short for; invoices wait for a contact to exist."""
        while not self.done:
            before = (self.invoices, self.learners)
            self.step()
            if (self.invoices, self.learners) == before and self.learners >= self.plan.new_learners:
                return  # no contact in Xero yet: the last daemon pushes one, then we go on

    def run_until(self, stop: threading.Event, every_s: float) -> None:
        """Keep arriving until `stop` is set."""
        while not stop.wait(every_s):
            self.step()


def _daemon(config: Path, log_path: Path) -> subprocess.Popen[bytes]:
    log = log_path.open("ab")
    try:
        return subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "xerowatch", "--config", str(config), "run"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    finally:
        log.close()


def _cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "xerowatch", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def run_chaos(plan: ChaosPlan, workdir: Path, say: Callable[[str], None] = print) -> ChaosResult:
    """Run the chaos plan in `workdir`; return its figures and any invariant it broke."""
    started = time.monotonic()
    rng = random.Random(plan.seed)  # noqa: S311 - reproducible chaos, not security
    result = ChaosResult(plan)
    xero = XeroSim(
        XeroSimConfig(
            seed=plan.seed, access_token_ttl=plan.token_ttl_s, minute_limit=plan.minute_limit
        )
    )
    tenant_id = xero.add_tenant("Chaos RTO")
    wisenet = WisenetSim(seed=plan.seed)
    wisenet.seed_learners(plan.learners, seed=plan.seed)
    with ExitStack() as stack:
        xs = stack.enter_context(serve_in_thread(xero.app))
        ws = stack.enter_context(serve_in_thread(wisenet.app))
        config = workdir / "xerowatch.toml"
        text = sim_config_text(
            workdir / "xerowatch.db", xs.url, ws.url, http_port=None, poll_seconds=1
        )
        # Online-invoice links cost a call per invoice and a second write-back: not under test.
        extra = "poll_seconds = 1\nfetch_online_invoice_urls = false"
        text = text.replace("poll_seconds = 1", extra)
        text = text.replace("[xero]\n", f"[xero]\nminute_limit = {plan.minute_limit}\n", 1)
        config.write_text(text, encoding="utf-8")
        connected = _cli(config, "connect", "--all-tenants")
        if connected.returncode != 0:
            raise RuntimeError(f"connect failed: {connected.stderr.strip()}")
        world = ChaosWorld(xero, wisenet, tenant_id, config)
        faults = _xero_faults(xero, plan.fault_rate)
        wisenet.fault_rate = plan.fault_rate
        arrivals = _Arrivals(world, plan, rng)
        log_path = workdir / "daemon.log"
        lifetime = max(1.0, (plan.life_s[0] + plan.life_s[1]) / 2)
        every = lifetime * plan.kills / max(1, plan.invoices + plan.new_learners)

        for kill in range(plan.kills):
            proc = _daemon(config, log_path)
            stop = threading.Event()
            thread = threading.Thread(target=arrivals.run_until, args=(stop, every), daemon=True)
            thread.start()
            time.sleep(rng.uniform(*plan.life_s))
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=STOP_TIMEOUT_S)
            stop.set()
            thread.join()
            result.kills += 1
            say(f"kill {kill + 1}/{plan.kills}: {len(world.learner_contacts())} contacts")
        arrivals.catch_up()  # what the lives were too short for arrives before the last one

        settle_from = time.monotonic()
        proc = _daemon(config, log_path)
        try:
            deadline = settle_from + plan.settle_timeout_s
            poll = 0.5 if plan.learners < 500 else 5.0  # reading 3,000 contacts is not free
            while time.monotonic() < deadline and not (arrivals.done and converged(world)):
                arrivals.catch_up()  # invoices for contacts only this last daemon could push
                time.sleep(poll)
            result.settle_s = time.monotonic() - settle_from
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=STOP_TIMEOUT_S)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if code != 0:
            result.problems.append(f"the last daemon exited with {code} on SIGTERM")
        if not arrivals.done:
            result.problems.append(
                f"only {arrivals.invoices} of {plan.invoices} invoices could arrive: "
                "no learner's contact reached Xero before the settle deadline"
            )
        for fault in faults:
            name = fault.kind if fault.kind != "status" else f"http_{fault.status}"
            result.faults[name] = result.faults.get(name, 0) + fault.hits
        result.faults["wisenet_503"] = wisenet.faults_injected
        xero.faults.clear()
        wisenet.fault_rate = 0.0
        check_invariants(world, result, injected_429=result.faults.get("http_429", 0))
    result.xero_requests = len(xero.requests)
    result.wisenet_requests = len(wisenet.requests)
    result.xero_calls = dict(
        sorted(Counter(f"{r.method} {r.path}" for r in xero.requests if r.tenant_id).items())
    )
    result.source_requests = dict(
        sorted(Counter(source_key(r.method, r.path) for r in wisenet.requests).items())
    )
    result.wall_s = time.monotonic() - started
    return result


def summary_lines(result: ChaosResult) -> list[str]:
    """The figures of a run, one per line, for the console."""
    plan = result.plan
    faults = ", ".join(f"{k} {v}" for k, v in sorted(result.faults.items()))
    return [
        f"chaos: {plan.learners} learners (+{plan.new_learners} and {plan.invoices} invoices "
        f"while running), {result.kills} SIGKILLs, fault rate {plan.fault_rate:.0%}",
        f"  faults injected: {result.faults_injected} ({faults})",
        f"  requests: Xero {result.xero_requests}, Wisenet {result.wisenet_requests}; "
        f"token grants {result.token_refreshes}",
        f"  checked: {result.learners_eligible} eligible learners, {result.contacts_checked} "
        f"contacts, {result.transactions_checked} transactions",
        f"  lost {result.lost}, duplicate contacts {result.duplicate_contacts}, duplicate "
        f"write-backs {result.duplicate_writes}, minute-429s {result.minute_429}, stranded "
        f"{result.stranded}, outbox running {result.outbox_running} / dead {result.outbox_dead}",
        f"  token refreshes at the end: {'yes' if result.token_refreshed_at_end else 'NO'}",
        f"  wall {result.wall_s:.0f} s (settle after the last restart {result.settle_s:.0f} s)",
        *(f"  PROBLEM: {p}" for p in result.problems),
    ]


FULL_SIZE = ChaosPlan(
    learners=3000,
    kills=22,
    fault_rate=0.10,
    life_s=(4.0, 14.0),
    new_learners=60,
    invoices=600,
    settle_timeout_s=1500.0,
    token_ttl_s=120,
    seed=23,
)
"""`python -m bench --scenario chaos`: 3,000 learners, 20+ SIGKILLs, 10 % faults."""


async def run(plan: ChaosPlan = FULL_SIZE) -> list[PhaseResult]:
    """The bench scenario: one chaos run, its figures printed and returned as one phase."""

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="xerowatch-chaos-") as tmp:
        result = await asyncio.to_thread(run_chaos, plan, Path(tmp), say)
    for line in summary_lines(result):
        say(line)
    details: dict[str, Detail] = {
        "kills": result.kills,
        "faults_injected": result.faults_injected,
        **{f"fault_{k}": v for k, v in sorted(result.faults.items())},
        "learners_eligible": result.learners_eligible,
        "contacts_checked": result.contacts_checked,
        "transactions_checked": result.transactions_checked,
        "lost": result.lost,
        "duplicate_contacts": result.duplicate_contacts,
        "duplicate_writes": result.duplicate_writes,
        "stranded": result.stranded,
        "outbox_running": result.outbox_running,
        "outbox_dead": result.outbox_dead,
        "token_refreshed_at_end": "yes" if result.token_refreshed_at_end else "NO",
        "settle_s": round(result.settle_s, 1),
    }
    if result.problems:
        details["errors"] = "; ".join(result.problems)
    return [
        PhaseResult(
            scenario="chaos",
            phase=f"{result.kills} SIGKILLs, {plan.fault_rate:.0%} faults",
            clock="real",
            wall_s=result.wall_s,
            virtual_s=None,
            records=result.contacts_checked + result.transactions_checked,
            records_label="records checked",
            xero_calls=result.xero_calls,
            xero_429=result.minute_429,
            source_requests=result.source_requests,
            peak_rss_mb=peak_rss_mb(),
            details=details,
        )
    ]
