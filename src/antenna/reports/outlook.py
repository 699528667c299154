"""The AI Gigafactory outlook: monthly demand since the first call, unmet demand in its parts,
a 24-month forecast with prediction intervals, and the GPU capacity that demand implies.

The method is written in docs/kpis.md ("Outlook"); `forecast_demand` is pure (a list of
monthly values in, the forecast out) so it is tested on its own.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db.models import F, Min, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from antenna.allocations.models import UsageMonth, hours
from antenna.calls.models import Call
from antenna.core.workdays import add_months
from antenna.proposals.models import OutcomeReason, Proposal
from antenna.proposals.states import ProposalState
from antenna.reports.caching import report_cached

HORIZON = 24
SEASONAL_MONTHS = 24  # two full years before a yearly season is fitted
TREND_MONTHS = 6  # fewer complete months: a flat average instead of a model
INTERVAL = 0.80  # the prediction interval shown (80 %)
_Z = 1.2816  # the normal quantile of 0.90 (two-sided 80 %)


@dataclass
class Month:
    """One month of history, in GPU-hours (requested, by the proposals' submission month)."""

    month: str
    requested: float = 0.0
    awarded: float = 0.0
    used: float = 0.0
    shortfall: float = 0.0  # accepted with fewer hours than requested
    refused: float = 0.0  # requests rejected for lack of capacity
    withdrawn: float = 0.0  # requests withdrawn after submission for lack of capacity
    partial: bool = False  # the current month, not over yet

    @property
    def unmet(self) -> float:
        return self.shortfall + self.refused + self.withdrawn


@dataclass
class ForecastPoint:
    month: str
    demand: float
    lower: float
    upper: float


@dataclass
class Forecast:
    """The forecast of monthly requested GPU-hours and how it was made."""

    method: str
    note: str
    points: list[ForecastPoint] = field(default_factory=list)


@dataclass
class Outlook:
    history: list[Month]
    forecast: Forecast
    utilisation: float
    capacity: list[tuple[str, float, float, float]]  # label, GPU-hours a month, GPUs, upper GPUs

    def chart(self) -> dict[str, list[Any]]:
        """The numbers of the outlook chart (for json_script)."""
        return {
            "labels": [m.month for m in self.history] + [p.month for p in self.forecast.points],
            "requested": [m.requested for m in self.history],
            "awarded": [m.awarded for m in self.history],
            "used": [m.used for m in self.history],
            "unmet": [m.unmet for m in self.history],
            "forecast": [None] * len(self.history) + [p.demand for p in self.forecast.points],
            "lower": [None] * len(self.history) + [p.lower for p in self.forecast.points],
            "upper": [None] * len(self.history) + [p.upper for p in self.forecast.points],
        }


def utilisation() -> float:
    """The stated utilisation of the GPUs that demand implies (ANTENNA_OUTLOOK_UTILISATION)."""
    return float(getattr(settings, "ANTENNA_OUTLOOK_UTILISATION", 0.7))


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _key(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _naive(values: Sequence[float], horizon: int) -> list[tuple[float, float, float]]:
    n = len(values)
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else 0.0
    # the error of a mean of n values plus one new month: sd * sqrt(1 + 1/n), growing slowly
    return [(mean, mean - _Z * sd * math.sqrt(1 + h / n), mean + _Z * sd * math.sqrt(1 + h / n))
            for h in range(1, horizon + 1)]


def _ets(values: Sequence[float], horizon: int, seasonal: bool) -> list[tuple[float, float, float]]:
    import numpy as np
    import pandas as pd
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel  # slow import: on use

    series = pd.Series(np.asarray(values, dtype=float),
                       index=pd.RangeIndex(len(values)))
    model = ETSModel(series, error="add", trend="add",
                     damped_trend=True, seasonal="add" if seasonal else None,
                     seasonal_periods=12 if seasonal else None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(disp=False, maxiter=200)
        frame = fit.get_prediction(start=len(values), end=len(values) + horizon - 1) \
            .summary_frame(alpha=1 - INTERVAL)
    return [(float(m), float(lo), float(hi)) for m, lo, hi in
            zip(frame["mean"], frame["pi_lower"], frame["pi_upper"], strict=True)]


def forecast_demand(values: list[float], first_month: dt.date,
                    horizon: int = HORIZON) -> Forecast:
    """See `_forecast`; the same months give the same forecast without refitting (a fit
    takes about 0.2 s), so a page or API call with unchanged history stays fast."""
    cached = _forecast(tuple(values), first_month, horizon)
    return Forecast(method=cached.method, note=cached.note, points=list(cached.points))


@lru_cache(maxsize=32)
def _forecast(values: tuple[float, ...], first_month: dt.date, horizon: int) -> Forecast:
    """Forecast `horizon` months after the complete months `values` (the first one is
    `first_month`). 24 months or more: exponential smoothing with a damped additive trend and
    a yearly additive season (statsmodels ETS, additive errors); 6 to 23 months: the same
    without season; 2 to 5 months: the average, flat, with an interval from the spread; fewer:
    no forecast. Values are clamped at zero; lower <= demand <= upper always holds."""
    n = len(values)
    if n < 2:
        return Forecast(method="none", note="Fewer than two complete months of demand: "
                        "no forecast yet.")
    if n >= SEASONAL_MONTHS:
        method, note = ("ets-damped-trend-seasonal",
                        "Exponential smoothing (ETS, additive errors, damped additive trend, "
                        "additive yearly season), 80 % prediction interval.")
    elif n >= TREND_MONTHS:
        method, note = ("ets-damped-trend",
                        f"Only {n} complete months: exponential smoothing (ETS, additive "
                        "errors, damped additive trend) without a yearly season, 80 % "
                        "prediction interval.")
    else:
        method, note = ("flat-average",
                        f"Only {n} complete months: too few for a model. The forecast is the "
                        "average month, flat, with an 80 % interval from the months' spread. "
                        "Read it as an order of magnitude.")
    points: list[tuple[float, float, float]]
    if method == "flat-average":
        points = _naive(values, horizon)
    else:
        try:
            points = _ets(values, horizon, seasonal=method.endswith("seasonal"))
            if not all(math.isfinite(x) for p in points for x in p):
                raise ValueError("non-finite forecast")
        except Exception:  # any fitting failure: fall back honestly, and say so
            method = "flat-average"
            note = ("The exponential smoothing model could not be fitted to these months: the "
                    "forecast is the average month, flat, with an 80 % interval from the "
                    "months' spread.")
            points = _naive(values, horizon)
    start = add_months(first_month, n)
    result = Forecast(method=method, note=note)
    for h, (mean, lower, upper) in enumerate(points):
        demand = max(mean, 0.0)
        result.points.append(ForecastPoint(
            month=_key(add_months(start, h)), demand=round(demand, 1),
            lower=round(min(max(lower, 0.0), demand), 1), upper=round(max(upper, demand), 1)))
    return result


def _hours_per_month(month: str) -> int:
    year, number = (int(x) for x in month.split("-"))
    return calendar.monthrange(year, number)[1] * 24


def _gpus(gpu_hours: float, month: str, share: float) -> float:
    return round(gpu_hours / (_hours_per_month(month) * share), 1)


def demand_history(today: dt.date | None = None,
                   organizations: frozenset[int] | None = None) -> list[Month]:
    """Every month from the first call (or first submission) to this month, counting only
    `organizations`' proposals and jobs unless None (everyone's). Three queries."""
    today = today or timezone.localdate()
    calls = Call.objects.aggregate(opens=Min("opens_on"), created=Min("created_at"))
    first_call = calls["opens"] or calls["created"]
    proposals = Proposal.objects.filter(submitted_at__isnull=False)
    usage = UsageMonth.objects.filter(jobs_gpu_seconds__gt=0)  # the jobs' charges, by month
    if organizations is not None:
        proposals = proposals.filter(organization_id__in=sorted(organizations))
        usage = usage.filter(allocation__organization_id__in=sorted(organizations))
    rows = list(proposals
                .annotate(m=TruncMonth("submitted_at")).values("m").annotate(
        requested=Sum("requested_gpu_hours"),
        awarded=Sum("decision__gpu_hours", filter=Q(state=ProposalState.ACCEPTED)),
        shortfall=Sum(F("requested_gpu_hours") - F("decision__gpu_hours"),
                      filter=Q(state=ProposalState.ACCEPTED,
                               decision__gpu_hours__lt=F("requested_gpu_hours"))),
        refused=Sum("requested_gpu_hours", filter=Q(state=ProposalState.REJECTED,
                                                     decision__reason=OutcomeReason.CAPACITY)),
        withdrawn=Sum("requested_gpu_hours", filter=Q(
            state=ProposalState.WITHDRAWN, withdrawal_reason=OutcomeReason.CAPACITY)),
    ).order_by())
    used = list(usage.annotate(m=F("month")).values("m")
                .annotate(t=Sum("jobs_gpu_seconds")).order_by())
    starts = [d for d in [first_call, *(r["m"] for r in rows), *(r["m"] for r in used)] if d]
    if not starts:
        return []
    first = min(timezone.localtime(d).date() if isinstance(d, dt.datetime) else d
                for d in starts)
    months: dict[str, Month] = {}
    current = _month_start(first)
    while current <= today:
        months[_key(current)] = Month(month=_key(current))
        current = add_months(current, 1)
    months[_key(_month_start(today))].partial = True

    def at(value: dt.date | dt.datetime) -> Month | None:
        day = timezone.localtime(value).date() if isinstance(value, dt.datetime) else value
        return months.get(_key(day))

    for r in rows:
        month = at(r["m"])
        if month is None:
            continue
        month.requested += float(r["requested"] or 0)
        month.awarded += float(r["awarded"] or 0)
        month.shortfall += float(r["shortfall"] or 0)
        month.refused += float(r["refused"] or 0)
        month.withdrawn += float(r["withdrawn"] or 0)
    for r in used:
        month = at(r["m"])
        if month is not None:
            month.used += float(hours(r["t"] or 0).quantize(Decimal("0.1")))
    return list(months.values())


def outlook(today: dt.date | None = None,
            organizations: frozenset[int] | None = None) -> Outlook:
    """History, forecast (from the complete months) and implied capacity, of `organizations`
    only unless None (see `demand_history`). Three queries."""
    history = demand_history(today, organizations)
    complete = [m for m in history if not m.partial]
    if complete:
        first = dt.date.fromisoformat(complete[0].month + "-01")
        forecast = forecast_demand([m.requested for m in complete], first)
    else:
        forecast = forecast_demand([], timezone.localdate())
    share = utilisation()
    capacity: list[tuple[str, float, float, float]] = []
    last12 = complete[-12:]
    if last12:
        average = sum(m.requested for m in last12) / len(last12)
        capacity.append((f"{last12[0].month} to {last12[-1].month}", round(average, 1),
                         round(average / (365.25 / 12 * 24 * share), 1),
                         round(average / (365.25 / 12 * 24 * share), 1)))
    for index in (11, 23):
        if len(forecast.points) > index:
            p = forecast.points[index]
            capacity.append((p.month, p.demand, _gpus(p.demand, p.month, share),
                             _gpus(p.upper, p.month, share)))
    return Outlook(history=history, forecast=forecast, utilisation=share, capacity=capacity)


def outlook_cached(today: dt.date | None = None,
                   organizations: frozenset[int] | None = None) -> Outlook:
    """`outlook`, kept in Django's cache per day and reader scope for
    `ANTENNA_REPORTS_CACHE_SECONDS` (reports/caching.py; pages, exports and the API)."""
    today = today or timezone.localdate()
    scope = None if organizations is None else tuple(sorted(organizations))
    return report_cached("outlook", (today.isoformat(), scope),
                         lambda: outlook(today, organizations))
