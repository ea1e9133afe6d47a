"""The fault campaign: generated months through the whole local stack under heavy faults, judged
by the invariant checker and by counting QBO documents per Stripe marker.

Faults: QBO 429, 5xx, timeouts and responses dropped after the write (fake QBO), with QBO's
requestid replay on or off (``qbo_requestid``: off, the sync must not need it); worker processes
killed at random QBO calls, before or after the call (a crash-injecting gateway: the request gets
no answer, and the dead worker's lease is never given back, it expires); duplicate and reordered
webhook deliveries; the webhook's archive and queue failing transiently (5xx) and, for a stretch
of deliveries each, for good until a person fixes them (permission denied, queue missing);
``concurrent`` tasks at once for every paid invoice (leases decide who writes); and a Stripe
outage of ``outage_minutes`` (queue-clock minutes) in the middle of the run.

Afterwards nobody replays anything: the faults end, Stripe redelivers what the webhook refused,
the hourly catch-up re-drives what ran out of retries, and the queue drains. What is left FAILED
must carry its reason and have raised an alert (an ERROR line the sync_failed metric counts).
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from local_emulator.checks.invariants import MARKER, NOTE_FIELDS, TRANSACTIONS, check_invariants
from local_emulator.generator import generate_month
from local_emulator.generator.taxes import HOME_CURRENCY
from local_emulator.harness.crashes import (
    CrashingQbo,
    CrashPlan,
    DeadThreadLeases,
    DeadThreadWarehouse,
    HardCrash,
)
from local_emulator.harness.scenario import FaultSpec, Scenario
from local_emulator.harness.stack import LocalStack
from local_emulator.harness.webhook_faults import (
    FaultyArchive,
    FaultyQueue,
    Refusal,
    WebhookFaults,
)
from shared import bootstrap
from shared.adapters.duckdb_warehouse import DuckDbWarehouse
from shared.adapters.local_tasks import DrainStats, LocalTaskQueue
from shared.domain.retries import stamped
from shared.ports import Task
from shared.services.retry_policy import record_exhausted_task, retry_deps

JsonDict = dict[str, Any]
Progress = Callable[[str], None]
CHUNK = 1_000  # deliveries between drains: work runs while later events are still arriving


@dataclass(frozen=True)
class CampaignFaults:
    qbo_429: float = 0.05
    qbo_5xx: float = 0.04
    qbo_drop_response: float = 0.04
    qbo_timeout: float = 0.01
    crash: float = 0.02  # per QBO call of a worker: the process dies (half before, half after)
    duplicate: float = 0.25
    out_of_order: float = 0.25
    outage_minutes: float = 10.0  # Stripe answers 503 for this long (0: no outage)
    qbo_requestid: str = "off"  # "off": QBO never replays a requestid; the sync must not need it
    webhook_5xx: float = 0.02  # the webhook's archive, and its queue, fail transiently (each)
    refused_deliveries: int = 30  # a stretch of deliveries the archive refuses, one the queue
    concurrent: int = 6  # tasks at once for every paid invoice (1: only the webhook's own)


@dataclass
class CampaignReport:
    events: int = 0
    objects: int = 0
    deliveries: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    scheduled_retries: int = 0
    exhausted: int = 0
    replayed: int = 0  # re-driven by the catch-up (exhausted transient failures, lost tasks)
    webhook_refused: int = 0  # 5xx answers to Stripe (it delivered again)
    webhook_alerts: int = 0  # of those, logged at ERROR: a person had to act
    leases_kept: int = 0  # leases crashed workers never gave back, taken over once expired
    failed_links: int = 0
    failed_without_reason: int = 0
    failed_without_alert: int = 0
    duplicates: int = 0
    lost_objects: int = 0
    events_not_archived: int = 0
    violations: Counter[str] = field(default_factory=Counter)
    schema_refused: Counter[str] = field(default_factory=Counter)  # by rule, fake QBO's check
    seconds: float = 0.0

    @property
    def lost(self) -> int:
        return self.lost_objects + self.events_not_archived

    @property
    def ok(self) -> bool:
        unexplained = self.failed_without_reason + self.failed_without_alert
        return (
            not self.duplicates
            and not self.lost
            and not self.violations
            and not self.schema_refused
            and not unexplained
        )

    def lines(self) -> list[str]:
        faults = ", ".join(f"{k} {v}" for k, v in sorted(self.faults.items())) or "none"
        rules = ", ".join(f"{k} {v}" for k, v in sorted(self.violations.items())) or "none"
        return [
            f"events                {self.events} ({self.deliveries} deliveries, "
            f"{self.objects} Stripe objects)",
            f"faults injected       {sum(self.faults.values())} ({faults})",
            f"retries               {self.retries} by the queue, {self.scheduled_retries} "
            f"scheduled ahead (429, held leases)",
            f"webhook refused       {self.webhook_refused} deliveries (5xx; "
            f"{self.webhook_alerts} at ERROR for a person)",
            f"crashed leases        {self.leases_kept} never given back, taken over once expired",
            f"exhausted -> FAILED   {self.exhausted} (re-driven by catch-up: {self.replayed})",
            f"FAILED links at end   {self.failed_links} ({self.failed_without_reason} without a "
            f"reason, {self.failed_without_alert} without an alert)",
            f"duplicates in QBO     {self.duplicates}",
            f"records lost          {self.lost} ({self.lost_objects} objects without their QBO "
            f"entity, {self.events_not_archived} events not archived)",
            f"invariant violations  {sum(self.violations.values())} ({rules})",
            f"schema refusals       {sum(self.schema_refused.values())} "
            f"({', '.join(f'{k} {v}' for k, v in sorted(self.schema_refused.items())) or 'none'})",
            f"runtime               {self.seconds:.1f} s",
        ]


def campaign_scenario(events_target: int, seed: int, company: str = "us") -> Scenario:
    """Generated months (distinct ids per seed) until there are ``events_target`` events; for
    a company other than ``us``, taxed as its region sells, in its home currency."""
    invoices = max(4, min(400, events_target // 14))
    customers = max(4, invoices // 7)
    taxed: dict[str, Any] = (
        {} if company == "us" else
        {"company": company, "currencies": (HOME_CURRENCY[company],)}
    )  # fmt: skip
    scenario = Scenario()
    month = 0
    while len(scenario.events) < events_target:
        lines = generate_month(seed * 1000 + month, customers=customers, invoices=invoices, **taxed)
        for line in lines:
            (scenario.events if line.get("object") == "event" else scenario.objects).append(line)
        month += 1
    return scenario


def qbo_duplicates(qbo_state: JsonDict) -> int:
    """Transactions sharing one Stripe marker: counted from QBO alone, not from the links."""
    seen: Counter[tuple[str, str, str]] = Counter()
    for entity in TRANSACTIONS:
        for doc in qbo_state.get(entity) or []:
            text = " ".join(str(doc.get(f) or "") for f in NOTE_FIELDS)
            match = MARKER.search(text)
            if match:
                seen[(entity, match.group(1), match.group(2))] += 1
    return sum(n - 1 for n in seen.values() if n > 1)


@contextmanager
def _quiet_crashes() -> Iterator[None]:
    """A killed worker thread is the point of the exercise: no traceback per crash."""
    previous = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is not None and issubclass(args.exc_type, HardCrash):
            return
        previous(args)

    threading.excepthook = hook
    try:
        yield
    finally:
        threading.excepthook = previous


def _install(
    stack: LocalStack, plan: CrashPlan, concurrency: int
) -> tuple[LocalTaskQueue, DeadThreadLeases]:
    """Crash-injecting ports, and a queue that records exhausted tasks (as the worker would)."""
    s = bootstrap.settings()
    # In memory: the same DuckDB and SQL, without a disk write per append (the run is thrown away)
    warehouse = DuckDbWarehouse(":memory:")
    warehouse.ensure_schema()
    leases = DeadThreadLeases(bootstrap.leases(), error=HardCrash)
    bootstrap.override(
        qbo_gateway=CrashingQbo(bootstrap.qbo_gateway(), plan),
        warehouse=DeadThreadWarehouse(warehouse, error=HardCrash),
        leases=leases,
    )

    def exhausted(task: Task, status: int | None) -> None:
        deps = retry_deps(bootstrap.sync_deps(), queue, s)
        record_exhausted_task(dict(task.payload), task.name, s.task_max_attempts, deps)

    queue = LocalTaskQueue(
        default_url=s.worker_url, clock=stack.clock, auth_token=s.local_auth_token,
        max_attempts=s.task_max_attempts, min_backoff=s.task_min_backoff_seconds,
        max_backoff=s.task_max_backoff_seconds, max_doublings=s.task_max_doublings,
        dispatch_deadline=s.task_dispatch_deadline_seconds, concurrency=concurrency,
        max_retry_seconds=s.task_max_retry_seconds,
        on_exhausted=exhausted, queue_name=s.tasks_queue_name,
    )  # fmt: skip
    bootstrap.override(task_queue=queue)
    return queue, leases


def _install_webhook_faults(faults: CampaignFaults, seed: int) -> WebhookFaults:
    """The webhook's archive and queue, failing as ``faults`` says (the worker's are left alone)."""
    injected = WebhookFaults(
        archive_5xx=faults.webhook_5xx, enqueue_5xx=faults.webhook_5xx, seed=seed
    )
    deps = bootstrap.ingest_deps()
    bootstrap.override(
        ingest_deps=dataclasses.replace(
            deps,
            warehouse=FaultyArchive(deps.warehouse, injected),
            queue=FaultyQueue(deps.queue, injected),
        )
    )
    return injected


def _refusal(position: int, total: int, stretch: int) -> Refusal | None:
    """Deliveries a third of the way in meet an archive that refuses for good, two thirds of
    the way in a queue that is gone, each for ``stretch`` deliveries (then a person fixes it)."""
    for start, kind in ((total // 3, "archive"), (2 * total // 3, "enqueue")):
        if stretch and start <= position < start + stretch:
            return kind  # type: ignore[return-value]
    return None


def _burst(queue: LocalTaskQueue, event: JsonDict, copies: int, stack: LocalStack) -> int:
    """``copies`` more tasks for a paid invoice, enqueued at once: they run concurrently with
    the webhook's own, and the invoice family's lease decides who writes."""
    invoice = (event.get("data") or {}).get("object") or {}
    if event.get("type") != "invoice.paid" or not invoice.get("id") or copies <= 0:
        return 0
    payload = {"object_type": "invoice", "object_id": invoice["id"], "event_id": event["id"]}
    made = 0
    for n in range(copies):
        task = Task(name=f"conc-{event['id']}-{n}", payload=stamped(payload, stack.clock.now()))
        made += queue.enqueue(task)
    return made


def _alerted_objects(log_path: Path) -> tuple[set[str], int]:
    """Objects an ERROR line recorded FAILED (what the sync_failed metric counts), and the
    number of webhook refusals at ERROR (what the webhook_errors metric counts)."""
    failed: set[str] = set()
    webhook = 0
    for raw in log_path.read_text(encoding="utf-8").splitlines():
        try:
            line = json.loads(raw)
        except ValueError:
            continue
        if line.get("severity") != "ERROR":
            continue
        if line.get("outcome") == "FAILED" and line.get("object_id"):
            failed.add(str(line["object_id"]))
        if line.get("logger") == "sync.stripe_webhook":
            webhook += 1
    return failed, webhook


@contextmanager
def _pumping(queue: LocalTaskQueue) -> Iterator[list[DrainStats]]:
    """Drain the queue in the background until the block ends; the stats of every drain."""
    stats: list[DrainStats] = []
    stop = threading.Event()

    def pump() -> None:
        while not stop.is_set():
            stats.append(queue.drain())
            stop.wait(0.01)

    thread = threading.Thread(target=pump, name="campaign-pump", daemon=True)
    thread.start()
    try:
        yield stats
    finally:
        stop.set()
        thread.join()


@contextmanager
def _stripe_outage(stack: LocalStack, minutes: float) -> Iterator[None]:
    """Stripe answers 503 from now for ``minutes`` of the queue's clock (which jumps ahead while
    every task waits out its backoff), or until the block ends."""
    stack.fake_stripe.set_faults(outage=True)
    ends = stack.clock.now() + timedelta(minutes=minutes)
    done = threading.Event()

    def watch() -> None:
        while not done.is_set() and stack.clock.now() < ends:
            time.sleep(0.005)
        stack.fake_stripe.set_faults(outage=False)

    watcher = threading.Thread(target=watch, name="stripe-outage", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()


def run_campaign(  # noqa: PLR0915 - one narrative: set up, deliver, recover, judge
    events_target: int,
    seed: int,
    faults: CampaignFaults | None = None,
    *,
    out_dir: Path,
    concurrency: int = 8,
    progress: Progress | None = None,
    company: str = "us",
    books: Path | None = None,
) -> CampaignReport:
    faults = faults or CampaignFaults()
    say = progress or (lambda message: None)
    started = time.monotonic()
    scenario = campaign_scenario(events_target, seed, company)
    report = CampaignReport(events=len({e["id"] for e in scenario.events}))
    seeded = scenario.seed_state()
    report.objects = sum(1 for o in seeded if o.get("object") != "event")
    spec = FaultSpec(
        qbo={"qbo_429": faults.qbo_429, "qbo_5xx": faults.qbo_5xx,
             "qbo_drop_response": faults.qbo_drop_response, "qbo_timeout": faults.qbo_timeout,
             "qbo_requestid": faults.qbo_requestid},
        delivery={"duplicate": faults.duplicate, "out_of_order": faults.out_of_order},
        stripe={},
    )  # fmt: skip
    plan = CrashPlan(probability=faults.crash, seed=seed, error=HardCrash)
    stack_at = LocalStack(
        out_dir / ".state", seed=seed, faults=spec, qbo_profile=company, books_file=books
    )
    with _quiet_crashes(), stack_at as stack:
        stack.fake_qbo.faults.set("timeout_delay_seconds", 0.05)
        for obj in seeded:
            stack.fake_stripe.seed_object(obj)
        queue, leases = _install(stack, plan, concurrency)
        webhook = _install_webhook_faults(faults, seed)
        deliverer = stack.deliverer()
        schedule = deliverer.schedule(scenario.events)
        report.deliveries = len(schedule)
        report.faults["duplicate_delivery"] = len(schedule) - len(scenario.events)
        report.faults["reordered_delivery"] = _late(scenario.events, schedule)
        say(f"{report.events} events, {report.deliveries} deliveries; running")
        chunks = [schedule[i : i + CHUNK] for i in range(0, len(schedule), CHUNK)]
        outage_at = len(chunks) // 2 if faults.outage_minutes > 0 else -1
        for index, chunk in enumerate(chunks):
            outage = _stripe_outage(stack, faults.outage_minutes) if index == outage_at else None
            with outage or nullcontext(), _pumping(queue) as pumped:
                for position, event in enumerate(chunk, start=index * CHUNK):
                    # workers run while webhooks keep arriving
                    webhook.refusing = _refusal(position, len(schedule), faults.refused_deliveries)
                    if deliverer.send(event) >= 500:
                        report.webhook_refused += 1
                    burst = _burst(queue, event, faults.concurrent - 1, stack)
                    report.faults["concurrent_task"] += burst
                webhook.refusing = None
                pumped.append(queue.drain())
            retried = sum(s.retried for s in pumped)
            report.retries += retried
            say(
                f"delivered {min((index + 1) * CHUNK, len(schedule))}/{len(schedule)}; "
                f"{sum(s.dispatched for s in pumped)} task runs, {retried} retried"
            )
        # The bad day ends and nobody replays anything: the faults stop (the person fixed the
        # refusals), Stripe delivers again what the webhook refused, the hourly catch-up
        # re-drives what ran out of retries, and the queue drains.
        stack.fake_qbo.faults.clear()
        plan.probability = 0.0
        webhook.off()
        redelivered = deliverer.deliver_pending()
        report.faults["webhook_redeliveries"] = len(redelivered.attempts)
        report.retries += queue.drain().retried
        report.exhausted = len(queue.exhausted_tasks()) + int(
            bootstrap.warehouse().query(
                "SELECT COUNT(*) AS n FROM sync_log WHERE error_code = 'exhausted'"
            )[0]["n"]
        )
        caught = bootstrap.catch_up().run()
        report.replayed = caught.redriven_exhausted + caught.redriven_stale
        report.retries += queue.drain().retried
        say(f"catch-up re-drove {report.replayed} syncs")
        warehouse = bootstrap.warehouse()
        report.scheduled_retries = int(
            warehouse.query(
                "SELECT COUNT(*) AS n FROM sync_log WHERE operation = 'retry_policy' "
                "AND outcome = 'RETRY'"
            )[0]["n"]
        )
        failures = warehouse.query(
            "SELECT stripe_object_id, error_code, error_message FROM sync_failures"
        )
        report.failed_links = len(failures)
        report.failed_without_reason = sum(
            1 for f in failures if not f["error_code"] or not f["error_message"]
        )
        archived = {str(r["event_id"]) for r in warehouse.query(
            "SELECT event_id FROM stripe_events_latest")}  # fmt: skip
        report.events_not_archived = len({e["id"] for e in scenario.events} - archived)
        qbo_state = stack.fake_qbo.state_json()
        injected = stack.fake_qbo.request_counts()
        for knob in ("qbo_429", "qbo_5xx", "qbo_drop_response", "qbo_timeout"):
            if injected.get(knob):
                report.faults[knob] = injected[knob]
        for key, n in injected.items():
            if key.startswith("schema_refused."):
                report.schema_refused[key.removeprefix("schema_refused.")] = n
        stripe_counts = stack.fake_stripe.request_counts()
        report.faults["stripe_outage_503"] = stripe_counts.get("fault.outage", 0)
        report.faults["worker_crash_before_call"] = plan.crashes["before"]
        report.faults["worker_crash_after_call"] = plan.crashes["after"]
        report.faults.update(webhook.injected)
        # Leases crashed workers never gave back: taken over once they had expired.
        report.leases_kept = int(getattr(leases, "taken_over", 0))
        alerted, report.webhook_alerts = _alerted_objects(out_dir / ".state" / "functions.log")
        report.failed_without_alert = len({str(f["stripe_object_id"]) for f in failures} - alerted)
    violations = check_invariants(scenario, qbo_state)
    report.violations = Counter(v.rule for v in violations)
    report.lost_objects = report.violations.get("missing", 0)
    report.duplicates = max(qbo_duplicates(qbo_state), report.violations.get("duplicate", 0))
    report.seconds = time.monotonic() - started
    return report


def _late(events: list[JsonDict], schedule: list[JsonDict]) -> int:
    """Deliveries that came after a delivery of a later event (first deliveries only)."""
    position = {id(e): n for n, e in enumerate(events)}
    seen: set[int] = set()
    latest, late = -1, 0
    for event in schedule:
        n = position.get(id(event), -1)
        if n in seen:
            continue
        seen.add(n)
        if n < latest:
            late += 1
        latest = max(latest, n)
    return late
