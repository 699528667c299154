"""Forms of the account pages: sign-up and naming an API token."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import UserCreationForm, UsernameField
from django.utils.translation import gettext_lazy as _

from antenna.accounts.models import User


class SignUpForm(UserCreationForm):
    """A new applicant: username, e-mail, name and a password typed twice."""

    email = forms.EmailField(label=_("E-mail address"), required=True,
                             help_text=_("We write to this address about your proposals."))

    class Meta:
        model = User
        fields = ("username", "email", "first_name", "last_name")
        field_classes = {"username": UsernameField}


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=100, required=False,
                           help_text=_("To recognise it later, e.g. \"laptop\" or \"CI\"."))
