"""Writes of the opportunity catalogue (operators only)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from antenna.accounts.models import User
from antenna.core.audit import audit_record
from antenna.core.errors import PermissionDenied, ValidationFailed
from antenna.core.translated import in_base_language, translation_names
from antenna.opportunities.models import Opportunity, OpportunityKind


def opportunity_create(*, title: str, kind: str, deadline: dt.date, url: str,
                       eligible_kinds: list[str] | None = None, sectors: list[str] | None = None,
                       regions: list[str] | None = None, countries: list[str] | None = None,
                       description: str = "", by: User,
                       **translations: str | None) -> Opportunity:
    """An operator adds an opportunity to the catalogue; `title`, `description` are English,
    `title_fr`, ... the other languages (empty: English is shown)."""
    if not by.is_operator:
        raise PermissionDenied(_("Only operators can publish opportunities."))
    if kind not in OpportunityKind.values:
        raise ValidationFailed(_("kind: choose one of %(k)s.")
                               % {"k": ", ".join(OpportunityKind.values)})
    if not title.strip():
        raise ValidationFailed(_("title: give the opportunity a title."))
    unknown = set(translations) - set(translation_names("title", "description"))
    if unknown:
        raise ValidationFailed(_("Unknown opportunity fields: %(f)s.")
                               % {"f": ", ".join(sorted(unknown))})
    texts = {name: (text or "").strip() for name, text in translations.items()}
    with transaction.atomic(), in_base_language():
        opportunity = Opportunity.objects.create(
            title=title.strip(), description=description.strip(), **texts, kind=kind,
            deadline=deadline, url=url,
            eligible_kinds=list(eligible_kinds or []), sectors=list(sectors or []),
            regions=list(regions or []), countries=[c.upper() for c in countries or []],
            created_by=by)
        audit_record(action="opportunity.create", target=opportunity, by=by,
                     after={"title": opportunity.title, "kind": kind,
                            "deadline": deadline.isoformat()})
    return opportunity
