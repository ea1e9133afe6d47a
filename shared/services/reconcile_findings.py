"""What a reconcile run reports: findings (one drift each) and the run's report."""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

from shared.ports import JsonDict

Severity = Literal["CRITICAL", "HIGH", "MEDIUM", "LOW"]
LEVELS: dict[Severity, int] = {
    "CRITICAL": logging.CRITICAL,
    "HIGH": logging.ERROR,
    "MEDIUM": logging.WARNING,
    "LOW": logging.WARNING,
}


@dataclass(frozen=True)
class Finding:
    kind: str
    severity: Severity
    stripe_object_id: str | None = None
    qbo_entity_type: str | None = None
    qbo_entity_id: str | None = None
    currency: str | None = None
    stripe_amount: Decimal | None = None
    qbo_amount: Decimal | None = None
    detail: str | None = None

    @property
    def finding_id(self) -> str:
        key = "|".join(
            str(v) for v in (self.kind, self.stripe_object_id, self.qbo_entity_id, self.currency)
        )
        return hashlib.sha256(key.encode()).hexdigest()[:24]

    def row(self, run_id: str, window: tuple[datetime, datetime], at: datetime) -> JsonDict:
        difference = None
        if self.stripe_amount is not None or self.qbo_amount is not None:
            difference = (self.qbo_amount or Decimal(0)) - (self.stripe_amount or Decimal(0))
        return {
            "run_id": run_id,
            "finding_id": self.finding_id,
            "kind": self.kind,
            "severity": self.severity,
            "stripe_object_id": self.stripe_object_id,
            "qbo_entity_type": self.qbo_entity_type,
            "qbo_entity_id": self.qbo_entity_id,
            "currency": self.currency,
            "stripe_amount": self.stripe_amount,
            "qbo_amount": self.qbo_amount,
            "difference": difference,
            "detail": self.detail,
            "window_start": window[0],
            "window_end": window[1],
            "found_at": at,
        }


@dataclass
class ReconcileReport:
    run_id: str
    window_start: datetime
    window_end: datetime
    findings: list[Finding] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)
    failed_checks: list[str] = field(default_factory=list)

    def as_dict(self) -> JsonDict:
        by_kind: dict[str, int] = defaultdict(int)
        for finding in self.findings:
            by_kind[finding.kind] += 1
        return {
            "run_id": self.run_id,
            "window_start": self.window_start.isoformat(),
            "window_end": self.window_end.isoformat(),
            "findings": len(self.findings),
            "by_kind": dict(sorted(by_kind.items())),
            "checked": self.checked,
            "failed_checks": self.failed_checks,
        }


Check = Callable[[ReconcileReport, list[JsonDict], datetime], None]
