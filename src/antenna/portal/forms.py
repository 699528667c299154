"""Forms of the portal pages: the intake triage."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from antenna.organizations.models import OrganizationKind
from antenna.portal.triage import Answers, Goal

UNKNOWN = "unknown"


class TriageForm(forms.Form):
    goal = forms.ChoiceField(label=_("What do you want to do?"), choices=Goal.choices,
                             widget=forms.RadioSelect)
    gpu_hours = forms.IntegerField(
        label=_("How much compute, in GPU-hours?"), min_value=1, max_value=10_000_000,
        required=False,
        help_text=_("One GPU for one hour is one GPU-hour. Leave empty and tick "
                    "“I don't know” if you have no idea yet."),
    )
    dont_know = forms.BooleanField(label=_("I don't know yet"), required=False)
    organization_kind = forms.ChoiceField(label=_("Your organisation is a…"),
                                          choices=OrganizationKind.choices)
    used_hpc = forms.TypedChoiceField(
        label=_("Have you used a supercomputer (HPC) before?"), widget=forms.RadioSelect,
        choices=[("yes", _("Yes")), ("no", _("No"))], coerce=lambda v: v == "yes",
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("gpu_hours") is None and not data.get("dont_know") \
                and "gpu_hours" not in self.errors:
            self.add_error("gpu_hours", _("Give a number of GPU-hours, or tick “I don't "
                                          "know yet”."))
        return data

    def answers(self) -> Answers:
        data = self.cleaned_data
        return Answers(goal=data["goal"],
                       gpu_hours=None if data.get("dont_know") else data.get("gpu_hours"),
                       organization_kind=data["organization_kind"],
                       used_hpc=bool(data["used_hpc"]))
