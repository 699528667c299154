"""Writes on calls. Unset rules take the access mode's defaults (calls.modes)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from antenna.accounts.models import User
from antenna.calls.models import Call
from antenna.calls.modes import DEFAULT_CRITERIA, MODE_DEFAULTS, AccessMode, ReviewProcess
from antenna.core.audit import audit_record
from antenna.core.countries import DEFAULT_ELIGIBLE_COUNTRIES, is_country_code
from antenna.core.errors import NotFound, PermissionDenied, ValidationFailed
from antenna.core.translated import base_language_names, in_base_language, translation_names
from antenna.factories.models import Factory
from antenna.organizations.models import OrganizationKind

# The call's texts kept in every language (calls/translation.py).
TRANSLATED = ("title", "description")

# The largest budget a call may offer: fits the database's integer columns everywhere.
MAX_GPU_HOURS = 1_000_000_000


def _require_operator(by: User) -> None:
    if not by.is_operator:
        raise PermissionDenied(_("Only operators manage calls."))


def _validated(values: dict[str, Any]) -> dict[str, Any]:
    """Check a full set of call rules; raise ValidationFailed naming the field to fix."""
    if not str(values["title"]).strip():
        raise ValidationFailed(_("Give the call a title."))
    for name in ("title", *translation_names("title")):
        if len(str(values.get(name) or "")) > 200:
            raise ValidationFailed(_("Keep the title under 200 characters."))
    for kind in values["eligible_kinds"]:
        if kind not in OrganizationKind.values:
            raise ValidationFailed(
                _("eligible_kinds: unknown kind '%(k)s'; use: %(all)s.")
                % {"k": kind, "all": ", ".join(OrganizationKind.values)}
            )
    countries = [str(c).upper() for c in values["eligible_countries"]]
    for code in countries:
        if not is_country_code(code):
            raise ValidationFailed(
                _("eligible_countries: '%(c)s' is not a two-letter ISO code.") % {"c": code}
            )
    values["eligible_countries"] = countries
    if values["min_gpu_hours"] < 1:
        raise ValidationFailed(_("min_gpu_hours must be at least 1."))
    if values["max_gpu_hours"] > MAX_GPU_HOURS:
        raise ValidationFailed(_("max_gpu_hours must be at most %(n)s.") % {"n": MAX_GPU_HOURS})
    if values["max_gpu_hours"] < values["min_gpu_hours"]:
        raise ValidationFailed(
            _("max_gpu_hours (%(max)s) must be at least min_gpu_hours (%(min)s).")
            % {"max": values["max_gpu_hours"], "min": values["min_gpu_hours"]}
        )
    durations = sorted({int(d) for d in values["allowed_durations"]})
    if not durations or any(d < 1 or d > 36 for d in durations):
        raise ValidationFailed(
            _("allowed_durations: give one or more durations in months, from 1 to 36.")
        )
    values["allowed_durations"] = durations
    if values["review_process"] not in ReviewProcess.values:
        raise ValidationFailed(_("Unknown review process '%(p)s'.")
                               % {"p": values["review_process"]})
    if not 0 <= values["min_reviews"] <= 20:
        raise ValidationFailed(_("min_reviews must be a number of reviews from 0 to 20."))
    if values["review_process"] == ReviewProcess.PEER and values["min_reviews"] < 1:
        values["min_reviews"] = 2
    cutoffs = []
    for raw in values["cutoff_dates"]:
        try:
            cutoffs.append(dt.date.fromisoformat(str(raw)).isoformat())
        except ValueError as exc:
            raise ValidationFailed(
                _("cutoff_dates: '%(d)s' is not a date like 2026-12-01.") % {"d": raw}
            ) from exc
    values["cutoff_dates"] = sorted(set(cutoffs))
    opens, closes = values["opens_on"], values["closes_on"]
    if opens and closes and closes < opens:
        raise ValidationFailed(_("closes_on must not be before opens_on."))
    if not 1 <= values["decision_target_days"] <= 365:
        raise ValidationFailed(_("decision_target_days must be from 1 to 365 working days."))
    return values


def call_create(
    *,
    by: User,
    title: str,
    mode: str,
    factories: Sequence[int | Factory],
    **overrides: Any,
) -> Call:
    """Open a call under `mode`; every rule not given takes the mode's default."""
    _require_operator(by)
    if mode not in AccessMode.values:
        raise ValidationFailed(
            _("Unknown access mode '%(m)s'; use one of: %(all)s.")
            % {"m": mode, "all": ", ".join(AccessMode.values)}
        )
    defaults = MODE_DEFAULTS[mode]
    values: dict[str, Any] = {
        "title": title,
        "description": "",
        "opens_on": None,
        "closes_on": None,
        "cutoff_dates": [],
        "eligible_kinds": list(defaults.eligible_kinds),
        "eligible_countries": list(DEFAULT_ELIGIBLE_COUNTRIES),
        "min_gpu_hours": defaults.min_gpu_hours,
        "max_gpu_hours": defaults.max_gpu_hours,
        "allowed_durations": list(defaults.allowed_durations),
        "review_process": defaults.review_process,
        "min_reviews": defaults.min_reviews,
        "review_criteria": list(defaults.criteria or DEFAULT_CRITERIA),
        "decision_target_days": defaults.decision_target_days,
        "require_pi_contract_margin": mode == AccessMode.AI_FOR_SCIENCE,
        "is_published": True,
        **dict.fromkeys(translation_names(*TRANSLATED), ""),
    }
    unknown = set(overrides) - set(values)
    if unknown:
        raise ValidationFailed(_("Unknown call fields: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    values.update({k: v for k, v in overrides.items() if v is not None})
    values["mode"] = mode
    # A bound not given follows the one given, so the body alone says whether it is valid
    # (only both bounds given the wrong way round are refused).
    if overrides.get("min_gpu_hours") is None and values["min_gpu_hours"] > values["max_gpu_hours"]:
        values["min_gpu_hours"] = 1
    if overrides.get("max_gpu_hours") is None and values["max_gpu_hours"] < values["min_gpu_hours"]:
        values["max_gpu_hours"] = values["min_gpu_hours"]
    values = _validated(values)
    factory_ids = [f.pk if isinstance(f, Factory) else int(f) for f in factories]
    if not factory_ids:
        raise ValidationFailed(_("factories: offer at least one factory."))
    found = list(Factory.objects.filter(pk__in=factory_ids))
    missing = set(factory_ids) - {f.pk for f in found}
    if missing:
        raise NotFound(
            _("factories: no factory with id %(ids)s.")
            % {"ids": ", ".join(str(i) for i in sorted(missing))}
        )
    with transaction.atomic(), in_base_language():
        call = Call.objects.create(**values)
        call.factories.set(found)
        audit_record(action="call.create", target=call, by=by,
                     after={**values, "factories": sorted(factory_ids)})
    return call


def call_update(*, call: Call, by: User, **changes: Any) -> Call:
    """Change a call's rules (operators)."""
    _require_operator(by)
    factories = changes.pop("factories", None)
    # The English texts go by their plain names (`title`), the others by theirs (`title_fr`).
    editable = ({f.name for f in Call._meta.concrete_fields} - {"id", "created_at", "mode"}
                - set(base_language_names(*TRANSLATED)))
    unknown = set(changes) - editable
    if unknown:
        raise ValidationFailed(_("Unknown call fields: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    with in_base_language():
        values = {f: getattr(call, f) for f in editable}
    before = dict(values)
    values.update(changes)
    values = _validated(values)
    with transaction.atomic(), in_base_language():
        for key, value in values.items():
            setattr(call, key, value)
        call.save()
        if factories is not None:
            call.factories.set(Factory.objects.filter(pk__in=factories))
        audit_record(action="call.update", target=call, by=by,
                     before={k: before[k] for k in changes}, after=changes)
    return call
