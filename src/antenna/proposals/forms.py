"""Forms of the proposal pages. The services enforce the rules; the forms parse the input."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from antenna.accounts.models import User
from antenna.calls.models import Call
from antenna.calls.modes import CRITERION_LABELS
from antenna.factories.selectors import factory_by_id
from antenna.organizations.models import Organization
from antenna.proposals.models import Decision, Openness, OutcomeReason, Proposal, Recommendation

POOLED = "pooled"
SCORE_CHOICES = [(n, str(n)) for n in range(1, 6)]


def _factory_choices(call: Call, first: tuple[str, Any]) -> list[tuple[str, Any]]:
    return [first, *((str(f.pk), f.display_name) for f in call.factories.all())]


class ProposalForm(forms.Form):
    """Create or edit a draft. `organizations` is None when editing (the organisation is fixed)."""

    organization = forms.ModelChoiceField(queryset=Organization.objects.none(),
                                          label=_("Organisation"), empty_label=None)
    title = forms.CharField(label=_("Title"), max_length=200)
    abstract = forms.CharField(label=_("Abstract"), widget=forms.Textarea,
                               help_text=_("What you want to do, in a few sentences."))
    objectives = forms.CharField(label=_("Objectives"), widget=forms.Textarea, required=False)
    requested_gpu_hours = forms.IntegerField(
        label=_("GPU-hours requested"), min_value=1,
        help_text=_("GPU-hours = GPUs per job x hours per run x number of runs."),
    )
    gpu_hours_justification = forms.CharField(
        label=_("How you estimated the GPU-hours"), widget=forms.Textarea, required=False,
        help_text=_("E.g. \"8 GPUs x 12 hours x 40 training runs = 3,840 GPU-hours\", "
                    "from a test run on a smaller machine."),
    )
    factory = forms.ChoiceField(label=_("Preferred factory"), required=False)
    duration_months = forms.TypedChoiceField(label=_("Duration (months)"), coerce=int)
    gpus_per_job = forms.IntegerField(label=_("GPUs per job"), min_value=1, max_value=4096,
                                      initial=1)
    storage_tb = forms.DecimalField(label=_("Storage (TB)"), min_value=Decimal(0),
                                    max_digits=8, decimal_places=2, initial=0)
    software_stack = forms.CharField(label=_("Software stack and containers"),
                                     widget=forms.Textarea, required=False,
                                     help_text=_("Frameworks, versions, containers; CUDA or ROCm."))
    data_description = forms.CharField(label=_("Data and its provenance"),
                                       widget=forms.Textarea, required=False)
    personal_data = forms.BooleanField(label=_("The work uses personal data"), required=False)
    licences = forms.CharField(label=_("Licences"), widget=forms.Textarea, required=False)
    openness = forms.ChoiceField(label=_("Openness of results"), choices=Openness.choices,
                                 initial=Openness.OPEN)
    pi_contract_ends_on = forms.DateField(
        label=_("End of the principal investigator's contract"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty for a permanent position."),
    )
    civilian_use = forms.BooleanField(
        label=_("I declare that this work is for civilian use only"), required=False,
        help_text=_("EuroHPC systems serve civilian applications only."),
    )
    attachment = forms.FileField(
        label=_("Attachment (PDF)"), required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
        help_text=_("Optional: a PDF with more detail, at most 10 MB."),
    )

    def __init__(self, *args: Any, call: Call,
                 organizations: QuerySet[Organization] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.call = call
        if organizations is None:
            del self.fields["organization"]
        else:
            org_field = self.fields["organization"]
            assert isinstance(org_field, forms.ModelChoiceField)
            org_field.queryset = organizations
        factory_field = self.fields["factory"]
        assert isinstance(factory_field, forms.ChoiceField)
        factory_field.choices = _factory_choices(call, ("", _("No preference")))
        duration_field = self.fields["duration_months"]
        assert isinstance(duration_field, forms.TypedChoiceField)
        duration_field.choices = [(d, str(d)) for d in call.allowed_durations]
        gpu_field = self.fields["requested_gpu_hours"]
        gpu_field.widget.attrs.update({"min": call.min_gpu_hours, "max": call.max_gpu_hours})

    def service_fields(self) -> dict[str, Any]:
        """The cleaned values as the proposal services take them."""
        data = dict(self.cleaned_data)
        data.pop("organization", None)
        data.pop("attachment", None)
        factory_pk = data.pop("factory", "")
        data["factory"] = factory_by_id(int(factory_pk)) if factory_pk else None
        return data


def initial_from(proposal: Proposal) -> dict[str, Any]:
    """A draft's values as the form's initial data."""
    names = [n for n in ProposalForm.base_fields if n not in ("organization", "attachment")]
    initial = {n: getattr(proposal, n) for n in names if n != "factory"}
    initial["factory"] = str(proposal.factory_id) if proposal.factory_id else ""
    return initial


def _reason_choices() -> list[tuple[str, Any]]:
    return [("", "—"), *OutcomeReason.choices]


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Reason (optional)"), required=False, max_length=500)
    cause = forms.ChoiceField(label=_("Why (optional)"), required=False,
                              choices=_reason_choices)


class AssessForm(forms.Form):
    prefix = "assess"
    feasible = forms.TypedChoiceField(
        label=_("Technically feasible?"), widget=forms.RadioSelect,
        choices=[("yes", _("Yes")), ("no", _("No"))], coerce=lambda v: v == "yes",
    )
    factory = forms.ChoiceField(label=_("Recommended factory"), required=False)
    comment = forms.CharField(label=_("Comment"), widget=forms.Textarea, required=False)

    def __init__(self, *args: Any, call: Call, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["factory"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = _factory_choices(call, ("", _("No recommendation")))


class AssignForm(forms.Form):
    prefix = "assign"
    reviewer = forms.ModelChoiceField(queryset=User.objects.none(), label=_("Reviewer"),
                                      to_field_name="username")

    def __init__(self, *args: Any, reviewers: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["reviewer"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = reviewers


class DecideForm(forms.Form):
    prefix = "decide"
    decision = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect,
                                 choices=Decision.Outcome.choices)
    gpu_hours = forms.IntegerField(
        label=_("GPU-hours granted"), min_value=1, required=False,
        help_text=_("At most the hours requested; empty: all of them."),
    )
    factory = forms.ChoiceField(label=_("Factory"), required=False)
    comment = forms.CharField(label=_("Comment to the applicant"), widget=forms.Textarea,
                              required=False)
    reason = forms.ChoiceField(
        label=_("Reason (optional)"), required=False, choices=_reason_choices,
        help_text=_("Why refused or granted less than asked. 'Lack of capacity' counts as "
                    "unmet demand in the AI Gigafactory outlook."))

    def __init__(self, *args: Any, call: Call, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["factory"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [*_factory_choices(call, ("", _("As requested or recommended"))),
                         (POOLED, _("Pooled: usable on every factory of the call"))]

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        choice = data["factory"]
        return {
            "decision": data["decision"],
            "gpu_hours": data["gpu_hours"],
            "pooled": choice == POOLED,
            "factory": factory_by_id(int(choice)) if choice and choice != POOLED else None,
            "comment": data["comment"],
            "reason": data["reason"],
        }


class ReviewForm(forms.Form):
    """Scores per criterion of the call (1-5), an overall score, a recommendation."""

    score = forms.TypedChoiceField(label=_("Overall score"), choices=SCORE_CHOICES, coerce=int,
                                   widget=forms.RadioSelect,
                                   help_text=_("1 = poor, 3 = good, 5 = excellent."))
    recommendation = forms.ChoiceField(label=_("Recommendation"), widget=forms.RadioSelect,
                                       choices=Recommendation.choices)
    comment = forms.CharField(label=_("Comment"), widget=forms.Textarea, required=False,
                              help_text=_("Strengths, weaknesses, and what to improve."))
    no_conflict = forms.BooleanField(
        label=_("I declare that I have no conflict of interest with the applicant "
                "organisation or its people."),
        required=True,
    )

    def __init__(self, *args: Any, criteria: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        scored = {
            f"criterion_{name}": forms.TypedChoiceField(
                label=CRITERION_LABELS.get(name, name), choices=SCORE_CHOICES, coerce=int,
                widget=forms.RadioSelect,
            )
            for name in self.criteria
        }
        self.fields = {**scored, **self.fields}

    def scores(self) -> dict[str, int]:
        return {name: self.cleaned_data[f"criterion_{name}"] for name in self.criteria}


class EstimatorForm(forms.Form):
    """Inputs of the GPU-hour estimator (proposals.estimator)."""

    prefix = "est"
    parameters_billion = forms.DecimalField(
        label=_("Model size (billions of parameters)"), min_value=Decimal("0.001"),
        max_value=Decimal(10_000), initial=Decimal(7), decimal_places=3,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    tokens_billion = forms.DecimalField(
        label=_("Tokens per epoch (billions)"), min_value=Decimal("0.000001"),
        max_value=Decimal(1_000_000), initial=Decimal(1), decimal_places=6,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        help_text=_("About 0.75 words per token in English: 1 billion tokens ≈ 750 million "
                    "words."),
    )
    epochs = forms.IntegerField(label=_("Epochs"), min_value=1, max_value=1000, initial=1)
    method = forms.ChoiceField(label=_("What you run"), choices=(), initial="train")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from antenna.proposals.estimator import Method

        super().__init__(*args, **kwargs)
        field = self.fields["method"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = Method.choices
