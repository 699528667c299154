"""Organisations: enterprise numbers, regions, ownership, duplicates, members, audit."""

from __future__ import annotations

from typing import Any

import pytest

from antenna.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from antenna.core.models import AuditEvent
from antenna.organizations.enterprise_number import (
    format_enterprise_number,
    normalize_enterprise_number,
)
from antenna.organizations.models import Membership, Organization
from antenna.organizations.services import organization_add_member, organization_create
from antenna.testing import assert_error, enterprise_number, make_org, make_user

pytestmark = pytest.mark.django_db


def _create(by, **overrides):
    values: dict[str, Any] = {"legal_name": "Acme AI", "kind": "startup", "country": "BE",
              "region": "flanders", "enterprise_number": "0123.456.749"}
    values.update(overrides)
    return organization_create(by=by, **values)


@pytest.mark.parametrize("spelling", ["0123.456.749", "0123456749", "BE0123456749",
                                      "be 0123 456 749", "123456749", "0123-456-749"])
def test_valid_enterprise_numbers_are_normalised(spelling):
    assert normalize_enterprise_number(spelling) == "0123456749"


@pytest.mark.parametrize("body", [1, 1_234_567, 4_123_456, 19_999_999])
def test_check_digits_are_97_minus_the_body_modulo_97(body):
    digits = f"{body:08d}{97 - body % 97:02d}"
    assert normalize_enterprise_number(digits) == digits
    wrong = f"{body:08d}{(97 - body % 97) % 97 + 1:02d}"
    with pytest.raises(ValidationFailed, match="97 minus the first eight modulo 97"):
        normalize_enterprise_number(wrong)


@pytest.mark.parametrize(("raw", "message"), [
    ("0123.456.789", "is not valid"),
    ("0123.456.748", "is not valid"),
    ("2123.456.749", "starts with 0 or 1"),
    ("0123.456.7", "has 10 digits"),
    ("0123.456.7490", "has 10 digits"),
    ("ABCD.EFG.HIJ", "has 10 digits"),
    ("", "has 10 digits"),
])
def test_invalid_enterprise_numbers_are_refused_with_a_clear_message(raw, message):
    with pytest.raises(ValidationFailed, match=message):
        normalize_enterprise_number(raw)


def test_format_enterprise_number():
    assert format_enterprise_number("0123456749") == "0123.456.749"


def test_creator_is_owner_and_number_is_stored_normalised():
    founder = make_user()
    org = _create(founder, enterprise_number="BE 0123.456.749")
    assert org.enterprise_number == "0123456749"
    assert org.created_by == founder
    membership = Membership.objects.get(organization=org)
    assert (membership.user, membership.role) == (founder, "owner")


@pytest.mark.parametrize("region", ["flanders", "wallonia", "brussels"])
def test_belgian_regions_are_accepted(region):
    assert _create(make_user(), region=region).region == region


@pytest.mark.parametrize("region", ["", "outside_belgium", "bavaria"])
def test_belgian_organisation_needs_a_belgian_region(region):
    with pytest.raises(ValidationFailed, match="flanders, wallonia or brussels"):
        _create(make_user(), region=region)
    assert not Organization.objects.exists()


def test_belgian_organisation_needs_an_enterprise_number():
    with pytest.raises(ValidationFailed, match="enterprise number"):
        _create(make_user(), enterprise_number="")


@pytest.mark.parametrize("region", ["", "outside_belgium"])
def test_organisation_outside_belgium_is_forced_outside_belgium(region):
    org = _create(make_user(), country="de", region=region, enterprise_number="0123.456.749")
    assert (org.country, org.region, org.enterprise_number) == ("DE", "outside_belgium", "")


def test_foreign_organisation_with_a_belgian_region_is_refused():
    with pytest.raises(ValidationFailed, match="set country to BE"):
        _create(make_user(), country="FR", region="wallonia")


@pytest.mark.parametrize(("field", "value", "message"), [
    ("legal_name", "   ", "legal name"),
    ("kind", "charity", "Unknown organisation kind"),
    ("country", "Belgium", "two-letter ISO code"),
    ("sector", "gambling", "Unknown sector"),
])
def test_identity_is_validated(field, value, message):
    with pytest.raises(ValidationFailed, match=message):
        _create(make_user(), **{field: value})


def test_duplicate_enterprise_number_is_a_conflict_in_any_spelling():
    _create(make_user())
    with pytest.raises(Conflict, match="already registered"):
        _create(make_user(), legal_name="Acme Again", enterprise_number="BE0123456749")
    assert Organization.objects.count() == 1


def test_duplicate_enterprise_number_is_409_through_the_api(api):
    body = {"legal_name": "Acme", "kind": "sme", "country": "BE", "region": "brussels",
            "enterprise_number": "0123.456.749"}
    assert api(make_user()).post("/organizations", body).status_code == 201
    assert_error(api(make_user()).post("/organizations", body), 409, "0123456749")


def test_observer_cannot_register_an_organisation():
    with pytest.raises(PermissionDenied):
        _create(make_user(role="observer"))


def test_organisation_create_writes_an_audit_event_with_the_actor():
    founder = make_user()
    org = _create(founder)
    event = AuditEvent.objects.get(action="organization.create")
    assert (event.actor, event.target_id, event.organization_id) == (founder, str(org.pk), org.pk)
    assert event.after["enterprise_number"] == "0123456749"


def test_operator_adds_and_promotes_members_directly_with_audit(operator):
    owner, newcomer = make_user(), make_user()
    org = make_org(owner)
    membership = organization_add_member(organization=org, username=newcomer.username,
                                         by=operator)
    assert membership.role == "member"
    organization_add_member(organization=org, username=newcomer.username, role="owner",
                            by=operator)
    assert Membership.objects.get(organization=org, user=newcomer).role == "owner"
    events = AuditEvent.objects.filter(action="organization.add_member").order_by("id")
    assert [(e.actor, e.after["role"]) for e in events] == [(operator, "member"),
                                                            (operator, "owner")]
    assert events[1].before == {"role": "member"}


def test_an_owner_cannot_add_members_without_their_consent():
    owner, newcomer = make_user(), make_user()
    org = make_org(owner)
    with pytest.raises(PermissionDenied, match="owners invite them"):
        organization_add_member(organization=org, username=newcomer.username, by=owner)
    assert not Membership.objects.filter(organization=org, user=newcomer).exists()


def test_operator_adding_an_unknown_user_or_role_is_refused(operator):
    org = make_org(make_user())
    with pytest.raises(NotFound, match="sign up first"):
        organization_add_member(organization=org, username="nobody", by=operator)
    with pytest.raises(ValidationFailed, match="owner' or 'member"):
        organization_add_member(organization=org, username=make_user().username,
                                role="admin", by=operator)


def test_organisation_list_shows_only_ones_own(api, observer):
    alice, bob = make_user(), make_user()
    mine, theirs = make_org(alice), make_org(bob)
    assert [o["id"] for o in api(alice).get("/organizations").json()["items"]] == [mine.pk]
    seen = {o["id"] for o in api(observer).get("/organizations").json()["items"]}
    assert seen == {mine.pk, theirs.pk}


def test_enterprise_number_helper_builds_valid_numbers():
    for body in (1, 97, 1_000_000, 9_999_999):
        assert normalize_enterprise_number(enterprise_number(body))
