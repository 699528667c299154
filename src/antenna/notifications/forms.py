"""The notification preferences form: one choice per kind, and the digest's frequency."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from antenna.notifications.models import Delivery, DigestFrequency, NoticeKind


class PreferencesForm(forms.Form):
    digest = forms.ChoiceField(choices=DigestFrequency.choices, label=_("Send my digest"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind, label in NoticeKind.choices:
            self.fields[f"kind_{kind}"] = forms.ChoiceField(choices=Delivery.choices,
                                                            label=label)

    def choices(self) -> dict[str, str]:
        return {kind: self.cleaned_data[f"kind_{kind}"] for kind in NoticeKind.values}
