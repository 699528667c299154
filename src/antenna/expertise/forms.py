"""Forms of the expertise desk's pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from antenna.expertise.models import Language, Topic
from antenna.organizations.models import Organization


class RequestForm(forms.Form):
    organization = forms.ModelChoiceField(queryset=Organization.objects.none(),
                                          label=_("Organisation"))
    topic = forms.ChoiceField(choices=Topic.choices, label=_("Topic"))
    language = forms.ChoiceField(choices=Language.choices, label=_("Language"))
    title = forms.CharField(max_length=200, label=_("Title"))
    description = forms.CharField(widget=forms.Textarea, max_length=20000,
                                  label=_("What do you need?"))

    def __init__(self, *args: Any, organizations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organization"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = organizations


class MessageForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea, max_length=20000, label=_("Message"),
                           required=False)
    attachment = forms.FileField(label=_("Attach a file (optional)"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("body") or "").strip() and not data.get("attachment"):
            raise forms.ValidationError(_("Write a message or attach a file."))
        return data


class RatingForm(forms.Form):
    satisfaction = forms.TypedChoiceField(
        coerce=int, choices=[(n, str(n)) for n in range(5, 0, -1)],
        label=_("How satisfied are you (5 = very)?"))
