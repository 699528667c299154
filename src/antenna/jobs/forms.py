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
