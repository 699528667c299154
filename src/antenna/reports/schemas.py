"""API schemas of the reports (read-only): filters in, KPI rows out."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema

from antenna.core.schemas import InputSchema

Kind = Literal["startup", "sme", "large_enterprise", "university", "research_centre",
               "public_administration", "non_profit"]
RegionName = Literal["flanders", "wallonia", "brussels", "outside_belgium"]
SectorName = Literal["health_biotech", "manufacturing_robotics", "space_aviation", "security",
                     "public_services", "finance", "energy_climate", "media_language",
                     "agrifood", "research", "other"]
Mode = Literal["playground", "fast_lane", "large_scale", "ai_for_science"]
Format = Literal["json", "csv", "xlsx"]


class ReportQuery(InputSchema):
    """Filters shared by every report; `format` csv or xlsx downloads the table instead."""

    date_from: dt.date | None = Field(None, alias="from", description="first day, YYYY-MM-DD")
    to: dt.date | None = Field(None, description="last day, YYYY-MM-DD")
    kind: Kind | None = None
    region: RegionName | None = None
    sector: SectorName | None = None
    factory: int | None = Field(None, ge=1, le=2_147_483_647, description="a factory id")
    mode: Mode | None = None
    format: Format = "json"


class KpiQuery(ReportQuery):
    group_by: Literal["kind", "region", "sector", "factory", "mode", "month"] = "mode"


class OutlookQuery(InputSchema):
    format: Format = "json"


class KpiRowOut(Schema):
    """One group: its key (an organisation kind, region, sector, factory name, mode, or month
    YYYY-MM; "—" for none) and its figures."""

    group: str
    requested_gpu_hours: float
    awarded_gpu_hours: float
    used_gpu_hours: float
    proposals: int
    accepted: int


class KpiPageOut(Schema):
    items: list[KpiRowOut]
    count: int


class TimeToAccessOut(Schema):
    mode: str
    label: str
    target_working_days: int
    n: int
    median_working_days: float | None
    p90_working_days: float | None
    share_on_time: float | None
    first_jobs: int
    median_to_first_job: float | None
    p90_to_first_job: float | None


class TimeToAccessPageOut(Schema):
    items: list[TimeToAccessOut]
    count: int


class MonthOut(Schema):
    month: str
    requested: float
    awarded: float
    used: float
    unmet: float
    unmet_shortfall: float
    unmet_refused: float
    unmet_withdrawn: float
    partial: bool


class ForecastOut(Schema):
    month: str
    demand: float
    lower: float
    upper: float


class CapacityOut(Schema):
    period: str
    gpu_hours_per_month: float
    gpus: float
    gpus_upper: float


class OutlookOut(Schema):
    history: list[MonthOut]
    forecast: list[ForecastOut]
    method: str
    method_note: str
    interval: float
    utilisation: float
    capacity: list[CapacityOut]
