"""Scenario files: Stripe events (and bare objects) as JSON lines, and the state they imply."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

JsonDict = dict[str, Any]


class ScenarioError(ValueError):
    """A scenario file that cannot be read; the message names the line."""


@dataclass
class Scenario:
    events: list[JsonDict] = field(default_factory=list)  # in delivery order, repeats kept
    objects: list[JsonDict] = field(default_factory=list)  # bare objects: seeded, not delivered

    def seed_state(self, until: int | None = None) -> list[JsonDict]:
        """The latest state of every object in the file, embedded ones included.

        Latest ``created`` of the carrying event wins; file order breaks ties. Bare objects count
        at their own ``created`` (or 0). ``until``: the state as it was then (only what events
        and bare objects created before it say).
        """
        best: dict[str, tuple[int, int, JsonDict]] = {}
        position = 0

        def offer(obj: JsonDict, created: int) -> None:
            nonlocal position
            position += 1
            if until is not None and created >= until:
                return
            key = str(obj["id"])
            current = best.get(key)
            if current is None or (created, position) >= current[:2]:
                best[key] = (created, position, obj)

        for line in self.events:
            created = int(line.get("created") or 0)
            data = line.get("data") or {}
            obj = data.get("object") if isinstance(data, dict) else None
            if isinstance(obj, dict) and "id" in obj:
                for embedded in _embedded_objects(obj):
                    offer(embedded, created)
                offer(obj, created)
            offer(line, created)  # the event itself, for GET /v1/events/{id}
        for obj in self.objects:
            for embedded in _embedded_objects(obj):
                offer(embedded, int(obj.get("created") or 0))
            offer(obj, int(obj.get("created") or 0))
        return [entry[2] for entry in sorted(best.values(), key=lambda e: (e[0], e[1]))]


def scenario_of_lines(lines: list[JsonDict]) -> Scenario:
    """Generated lines as a scenario: events to deliver, and the objects Stripe sends no event
    for (balance and customer balance transactions, payment records), held as Stripe holds
    them."""
    return Scenario(
        events=[x for x in lines if x.get("object") == "event"],
        objects=[x for x in lines if x.get("object") != "event"],
    )


def account_of(line: JsonDict) -> str | None:
    """The Stripe account a scenario line belongs to: an event's ``account`` (as Stripe sends
    Connect events), or the ``account`` a bare object line names; None: the platform's own."""
    account = line.get("account")
    return str(account) if account else None


def split_by_account(scenario: Scenario) -> dict[str | None, Scenario]:
    """One scenario per account, lines in their order (bare objects without the annotation)."""
    parts: dict[str | None, Scenario] = {}
    for event in scenario.events:
        parts.setdefault(account_of(event), Scenario()).events.append(event)
    for obj in scenario.objects:
        bare = {k: v for k, v in obj.items() if k != "account"}
        parts.setdefault(account_of(obj), Scenario()).objects.append(bare)
    return parts


def with_account(lines: list[JsonDict], account: str) -> list[JsonDict]:
    """Lines as one connected account's: each event and bare object carries ``account``."""
    return [{**line, "account": account} for line in lines]


def interleave(*files: list[JsonDict]) -> list[JsonDict]:
    """Several scenarios' lines as one file, in the order Stripe created them (stable)."""
    keyed = [
        (int(line.get("created") or 0), index, position, line)
        for index, lines in enumerate(files)
        for position, line in enumerate(lines)
    ]
    return [line for *_, line in sorted(keyed, key=lambda k: (k[0], k[2], k[1]))]


def _embedded_objects(obj: JsonDict) -> Iterator[JsonDict]:
    """Expanded objects nested inside ``obj`` (not lists, not ``obj`` itself)."""
    for key, value in obj.items():
        if key == "lines":
            continue  # invoice lines belong to their invoice, not to the store
        values = value if isinstance(value, list) else [value]
        for item in values:
            if isinstance(item, dict):
                if "id" in item and item.get("object") not in (None, "list"):
                    yield from _embedded_objects(item)
                    yield item
                elif item.get("object") == "list":
                    for element in item.get("data") or []:
                        if isinstance(element, dict) and "id" in element:
                            yield element


def load_scenario(path: Path) -> Scenario:
    scenario = Scenario()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ScenarioError(f"cannot read {path}: {error.strerror}") from None
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except json.JSONDecodeError as error:
            raise ScenarioError(f"{path.name}:{number}: not JSON ({error.msg})") from None
        if not isinstance(line, dict) or not isinstance(line.get("id"), str):
            raise ScenarioError(f"{path.name}:{number}: expected a Stripe object with an id")
        if line.get("object") == "event":
            if not isinstance(line.get("type"), str) or not isinstance(line.get("data"), dict):
                raise ScenarioError(f"{path.name}:{number}: event without type or data")
            scenario.events.append(line)
        else:
            scenario.objects.append(line)
    return scenario


def read_lines(path: Path) -> list[JsonDict]:
    """A scenario file's lines in file order, events and bare objects alike."""
    try:
        text = path.read_text(encoding="utf-8")
        return [json.loads(raw) for raw in text.splitlines() if raw.strip()]
    except (OSError, json.JSONDecodeError) as error:
        raise ScenarioError(f"cannot read {path}: {error}") from None


def write_scenario(path: Path, lines: list[JsonDict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for line in lines:
            out.write(json.dumps(line, separators=(",", ":")) + "\n")


QBO_KNOBS = frozenset(
    {"qbo_429", "qbo_5xx", "qbo_drop_response", "qbo_timeout", "qbo_throttle_403"}
)
QBO_SWITCHES = frozenset({"qbo_requestid"})  # on | off, not a probability
DELIVERY_KNOBS = frozenset({"duplicate", "out_of_order"})
STRIPE_KNOBS = frozenset({"stripe_429", "stripe_5xx"})


@dataclass(frozen=True)
class FaultSpec:
    qbo: dict[str, float | str]
    delivery: dict[str, float]
    stripe: dict[str, float]


def parse_faults(spec: str | None) -> FaultSpec:
    """``qbo_429=0.1,duplicate=0.2`` -> knobs by target; unknown names and bad values refused."""
    result = FaultSpec({}, {}, {})
    if not spec:
        return result
    for part in spec.split(","):
        name, sep, value = part.strip().partition("=")
        if not sep:
            raise ScenarioError(f"fault {part!r}: expected name=probability")
        if name in QBO_SWITCHES:
            if value not in ("on", "off"):
                raise ScenarioError(f"fault {name}: on or off, not {value!r}")
            result.qbo[name] = value
            continue
        try:
            probability = float(value)
        except ValueError:
            raise ScenarioError(f"fault {name}: {value!r} is not a number") from None
        if not 0.0 <= probability <= 1.0:
            raise ScenarioError(f"fault {name}: probability must be between 0 and 1")
        if name in QBO_KNOBS:
            result.qbo[name] = probability
        elif name in DELIVERY_KNOBS:
            result.delivery[name] = probability
        elif name in STRIPE_KNOBS:
            result.stripe[name] = probability
        else:
            known = ", ".join(sorted(QBO_KNOBS | QBO_SWITCHES | DELIVERY_KNOBS | STRIPE_KNOBS))
            raise ScenarioError(f"unknown fault {name!r}; known: {known}")
    return result
