"""The job submission form: script, GPUs, walltime, optional factory."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from antenna.factories.models import Factory


class JobForm(forms.Form):
    name = forms.CharField(label=_("Job name"), max_length=100, initial="hello")
    script = forms.CharField(
        label=_("Script"), widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        initial="#!/bin/bash\necho hello\n",
        help_text=_("A shell script starting with #!/bin/bash. It runs in its own directory; "
                    "what it prints is shown on the job page."),
    )
    gpus = forms.IntegerField(label=_("GPUs"), min_value=1, max_value=4096, initial=1)
    walltime_minutes = forms.IntegerField(
        label=_("Walltime (minutes)"), min_value=1, initial=10,
        help_text=_("The job is stopped when it runs longer. Only the time it really uses is "
                    "charged."),
    )
    factory = forms.ModelChoiceField(
        label=_("Factory"), queryset=Factory.objects.none(), required=False,
        empty_label=_("Let Antenna choose the one that starts it soonest"),
    )

    def __init__(self, *args: Any, factories: list[Factory] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["factory"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Factory.objects.filter(pk__in=[f.pk for f in factories or []])


class RecipeForm(forms.Form):
    """A job template's fields, plus the job's name, GPUs, walltime and factory."""

    name = forms.CharField(label=_("Job name"), max_length=100)
    factory = forms.ModelChoiceField(
        label=_("Factory"), queryset=Factory.objects.none(), empty_label=None,
        help_text=_("The script is written for this factory's GPUs (CUDA on JUPITER, ROCm "
                    "on LUMI)."),
    )
    gpus = forms.IntegerField(label=_("GPUs"), min_value=1, max_value=4096, initial=1,
                              help_text=_("More than one runs the training with torchrun."))
    walltime_minutes = forms.IntegerField(
        label=_("Walltime (minutes)"), min_value=1, initial=30,
        help_text=_("The job is stopped when it runs longer. Only the time it really uses is "
                    "charged."),
    )

    def __init__(self, *args: Any, recipe: Any, factories: list[Factory],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.recipe = recipe
        field = self.fields["factory"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Factory.objects.filter(pk__in=[f.pk for f in factories]) \
            .prefetch_related("partitions")
        for f in recipe.fields:
            if f.kind == "textarea":
                widget: forms.Widget = forms.Textarea(attrs={"rows": 6, "spellcheck": "false"})
            else:
                widget = forms.TextInput(attrs={"spellcheck": "false"} if f.kind == "text"
                                         else {"inputmode": "numeric"})
            self.fields[f"r_{f.name}"] = forms.CharField(
                label=f.label, initial=f.default, help_text=f.help, widget=widget,
                required=f.kind != "textarea", max_length=20_000 if f.kind == "textarea"
                else 300,
            )

    def recipe_values(self) -> dict[str, str]:
        return {f.name: self.cleaned_data.get(f"r_{f.name}", "") or ""
                for f in self.recipe.fields}
