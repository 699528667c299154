"""Organisations that apply for compute, and their members."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from antenna.organizations.states import InvitationState

if TYPE_CHECKING:
    from antenna.accounts.models import User


class OrganizationKind(models.TextChoices):
    STARTUP = "startup", _("Startup")
    SME = "sme", _("SME")
    LARGE_ENTERPRISE = "large_enterprise", _("Large enterprise")
    UNIVERSITY = "university", _("University")
    RESEARCH_CENTRE = "research_centre", _("Research centre")
    PUBLIC_ADMINISTRATION = "public_administration", _("Public administration")
    NON_PROFIT = "non_profit", _("Non-profit")


class Region(models.TextChoices):
    FLANDERS = "flanders", _("Flanders")
    WALLONIA = "wallonia", _("Wallonia")
    BRUSSELS = "brussels", _("Brussels-Capital")
    OUTSIDE_BELGIUM = "outside_belgium", _("Outside Belgium")


class Sector(models.TextChoices):
    HEALTH = "health_biotech", _("Health and biotech")
    MANUFACTURING = "manufacturing_robotics", _("Manufacturing and robotics")
    SPACE = "space_aviation", _("Space and aviation")
    SECURITY = "security", _("Security")
    PUBLIC_SERVICES = "public_services", _("Public services")
    FINANCE = "finance", _("Finance")
    ENERGY = "energy_climate", _("Energy and climate")
    MEDIA = "media_language", _("Media and language")
    AGRIFOOD = "agrifood", _("Agriculture and food")
    RESEARCH = "research", _("Research and education")
    OTHER = "other", _("Other")


class OrganizationQuerySet(models.QuerySet["Organization"]):
    def visible_to(self, user: User) -> OrganizationQuerySet:
        """Organisations `user` may see: all for operators and observers, else their own."""
        if not user.is_authenticated:
            return self.none()
        if user.sees_everything:
            return self.all()
        return self.filter(memberships__user=user).distinct()


class Organization(models.Model):
    """A legal entity (company, university, administration) that applies for compute."""

    legal_name = models.CharField(_("legal name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=OrganizationKind.choices)
    country = models.CharField(_("country"), max_length=2, help_text=_("ISO 3166 code, e.g. BE"))
    region = models.CharField(_("region"), max_length=32, choices=Region.choices)
    sector = models.CharField(_("sector"), max_length=32, choices=Sector.choices,
                              default=Sector.OTHER)
    website = models.URLField(_("website"), blank=True)
    enterprise_number = models.CharField(
        _("enterprise number"), max_length=10, blank=True,
        help_text=_("Belgian KBO/BCE number, 10 digits."),
    )
    vat_number = models.CharField(_("VAT number"), max_length=20, blank=True)
    first_time_hpc = models.BooleanField(
        _("new to supercomputing"), default=False,
        help_text=_("The organisation has not used an HPC system before."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["legal_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise_number"],
                condition=~Q(enterprise_number=""),
                name="organization_enterprise_number_unique",
            ),
            models.CheckConstraint(
                condition=(Q(country="BE") & ~Q(region="outside_belgium"))
                | (~Q(country="BE") & Q(region="outside_belgium")),
                name="organization_region_matches_country",
            ),
        ]

    def __str__(self) -> str:
        return self.legal_name


class MembershipRole(models.TextChoices):
    OWNER = "owner", _("Owner")
    MEMBER = "member", _("Member")


class Membership(models.Model):
    """A person's place in an organisation: owners manage members, members apply."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE,
                                     related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="memberships")
    role = models.CharField(max_length=16, choices=MembershipRole.choices,
                            default=MembershipRole.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organization_id", "user_id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.role})"


class Invitation(models.Model):
    """An owner's offer of a place in an organisation; membership starts only when accepted.

    `username` is what the owner typed. `invitee` is that account, or None when no active
    account has that name: such an invitation can never be accepted, and it is stored so that
    the answer and the owner's list of pending invitations look the same either way (nothing
    tells whether an account exists). States: `states.INVITATION_MACHINE`.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE,
                                     related_name="invitations")
    username = models.CharField(max_length=150)
    invitee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(max_length=16, choices=MembershipRole.choices,
                            default=MembershipRole.MEMBER)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    state = models.CharField(max_length=16, choices=InvitationState.choices,
                             default=InvitationState.INVITED)
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "username"],
                condition=Q(state="invited"),
                name="invitation_one_pending_per_username",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.username} to {self.organization} ({self.state})"
