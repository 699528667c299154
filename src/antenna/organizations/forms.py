"""Forms of the organisation pages. The services check the rules; the forms check the shape."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from antenna.organizations.models import MembershipRole, OrganizationKind, Region, Sector


class OrganizationForm(forms.Form):
    legal_name = forms.CharField(label=_("Legal name"), max_length=200,
                                 help_text=_("As registered, e.g. \"Deep Vision NV\"."))
    kind = forms.ChoiceField(label=_("Kind of organisation"), choices=OrganizationKind.choices)
    country = forms.CharField(
        label=_("Country"), max_length=2, initial="BE",
        help_text=_("Two-letter code of the country where it is established: BE, NL, DE…"),
    )
    region = forms.ChoiceField(
        label=_("Region"), required=False,
        choices=[("", _("— choose —")), *Region.choices],
        help_text=_("For a Belgian organisation: Flanders, Wallonia or Brussels-Capital."),
    )
    sector = forms.ChoiceField(label=_("Sector"), choices=Sector.choices, initial=Sector.OTHER)
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    enterprise_number = forms.CharField(
        label=_("Enterprise number (KBO/BCE)"), max_length=20, required=False,
        help_text=_(
            "Belgian organisations only: the 10-digit number of the Crossroads Bank for "
            "Enterprises, written like 0123.456.749 (BE0123456749 works too). It starts with "
            "0 or 1 and its last two digits are a check: 97 minus the first eight digits "
            "modulo 97. Find it on the KBO/BCE public search."
        ),
    )
    vat_number = forms.CharField(label=_("VAT number"), max_length=20, required=False)
    first_time_hpc = forms.BooleanField(
        label=_("New to supercomputing"), required=False,
        help_text=_("Tick if the organisation has never used an HPC system."),
    )


class MemberForm(forms.Form):
    """Invite a person: they become a member when they accept."""

    username = forms.CharField(label=_("Username"), max_length=150,
                               help_text=_("They join when they accept the invitation, on "
                                           "their Invitations page."))
    role = forms.ChoiceField(label=_("Role"), choices=MembershipRole.choices,
                             initial=MembershipRole.MEMBER)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=MembershipRole.choices)
