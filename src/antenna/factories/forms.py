"""Forms of the factories pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from antenna.factories.models import Factory


class SiteAccountForm(forms.Form):
    factory = forms.ModelChoiceField(label=_("Factory"), queryset=Factory.objects.none())
    username = forms.CharField(label=_("Your username there"), max_length=64,
                               help_text=_("The username you sign in with at the factory (SSH, "
                                           "Slurm)."))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["factory"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Factory.objects.order_by("display_name")
