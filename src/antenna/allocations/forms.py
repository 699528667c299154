"""Form of the allocation page: the final report."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class FinalReportForm(forms.Form):
    report = forms.CharField(
        label=_("Final report"), widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("What ran, what came out of it (results, publications, products), and "
                    "what you would do differently. Publications acknowledge the project."),
    )
