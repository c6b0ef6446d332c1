"""Data export (Pro): the athlete's activities and daily fitness as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from core.accounts.context import AccountRef, resolve
from core.clock import Clock, local_today, utcnow
from core.db.uow import UnitOfWorkFactory
from core.errors import ProOnly
from core.limits.feature_gate import FeatureGate

ACTIVITY_COLUMNS = (
    "id", "start_time_utc", "local_date", "sport", "sub_sport", "timer_s", "elapsed_s",
    "distance_m", "ascent_m", "calories", "avg_hr", "max_hr", "avg_power", "normalized_power",
    "avg_cadence", "lap_count", "best_20min_power", "trimp", "edwards_trimp",
    "intensity_factor", "tss", "load", "load_method", "source",
)  # fmt: skip
FITNESS_COLUMNS = ("day", "load", "ctl", "atl", "tsb", "ramp", "acwr")


@dataclass(frozen=True)
class ExportFiles:
    activities_csv: bytes
    fitness_csv: bytes
    activity_count: int
    day_count: int


class ExportService:
    """CSV files of everything the athlete stored (Pro only)."""

    def __init__(self, uow: UnitOfWorkFactory, gate: FeatureGate, *, clock: Clock = utcnow) -> None:
        self._uow = uow
        self._gate = gate
        self._clock = clock

    async def export(self, account: AccountRef) -> ExportFiles:
        """Both CSVs; ProOnly on the Free plan. One read-only unit of work."""
        async with self._uow(readonly=True) as uow:
            now = self._clock()
            acc = await resolve(uow, account, now=now)
            if not acc.plan.export:
                raise ProOnly("export")
            today = local_today(now, acc.timezone)
            acts = await uow.training.activities_between(acc.id, None, None)
            days = await uow.training.fitness_between(acc.id, None, today)
        act_rows = (
            [a.id, a.start_time.isoformat(), a.local_date.isoformat(),
             *(getattr(a, c) for c in ACTIVITY_COLUMNS[3:])]
            for a in acts
        )  # fmt: skip
        day_rows = (
            [d.day.isoformat(), *(getattr(d, c) for c in FITNESS_COLUMNS[1:])] for d in days
        )
        return ExportFiles(
            _csv(ACTIVITY_COLUMNS, act_rows), _csv(FITNESS_COLUMNS, day_rows), len(acts), len(days)
        )


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else _cell(v) for v in row])
    return buf.getvalue().encode()


def _cell(value: Any) -> Any:
    return round(value, 3) if isinstance(value, float) else value
