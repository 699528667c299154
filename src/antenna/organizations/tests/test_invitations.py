"""Membership by consent (#8): each test is an attack on the members of an organisation.

An owner invites; the person becomes a member only by accepting. The answer to an invitation
never tells whether an account exists. Owners remove members and change roles, but the last
owner stays.
"""

from __future__ import annotations

import pytest
from django.test import Client

from antenna.core.models import AuditEvent
from antenna.organizations.models import Invitation, Membership
from antenna.organizations.services import (
    invitation_accept,
    invitation_decline,
    invitation_revoke,
    membership_remove,
    membership_set_role,
)
from antenna.testing import (
    add_member,
    assert_error,
    invite,
    make_operator,
    make_org,
    make_user,
)

pytestmark = pytest.mark.django_db


def _pending(api, user) -> list[dict]:
    return api(user).get("/invitations").json()["items"]


def test_owner_inviting_an_operator_does_not_make_them_a_member_until_they_accept(api):
    owner, operator = make_user(), make_operator()
    org = make_org(owner)
    sent = api(owner).post(f"/organizations/{org.pk}/members",
                           {"username": operator.username, "role": "owner"})
    assert sent.status_code == 201
    assert sent.json() == {"organization": org.pk, "username": operator.username,
                           "role": "owner", "state": "invited"}
    assert not Membership.objects.filter(organization=org, user=operator).exists()
    [invitation] = _pending(api, operator)
    assert (invitation["organization"], invitation["role"]) == (org.pk, "owner")
    accepted = api(operator).post(f"/invitations/{invitation['id']}/accept")
    assert accepted.status_code == 200
    assert accepted.json()["state"] == "accepted"
    assert Membership.objects.get(organization=org, user=operator).role == "owner"
    assert _pending(api, operator) == []


def test_the_answer_does_not_tell_whether_an_account_exists(api):
    owner, member, stranger = make_user(), make_user(), make_user()
    org = make_org(owner)
    add_member(org, member)
    client = api(owner)
    answers = {name: client.post(f"/organizations/{org.pk}/members", {"username": name})
               for name in (stranger.username, "no-such-person", member.username)}
    assert {r.status_code for r in answers.values()} == {201}
    bodies = [{k: v for k, v in r.json().items() if k != "username"} for r in answers.values()]
    assert bodies[0] == bodies[1] == bodies[2] == {"organization": org.pk, "role": "member",
                                                   "state": "invited"}
    assert {r["Content-Type"] for r in answers.values()} == {"application/json; charset=utf-8"}


def test_an_invitation_to_nobody_can_never_be_accepted_even_by_a_later_sign_up(api):
    owner = make_user()
    org = make_org(owner)
    api(owner).post(f"/organizations/{org.pk}/members", {"username": "late-joiner"})
    ghost = Invitation.objects.get(organization=org, username="late-joiner")
    assert ghost.invitee is None
    late = make_user("late-joiner")
    assert _pending(api, late) == []
    assert_error(api(late).post(f"/invitations/{ghost.pk}/accept"), 404)
    assert not Membership.objects.filter(organization=org, user=late).exists()


def test_the_invitee_sees_nothing_of_the_organisation_before_accepting(api, world):
    newcomer, org = world.newcomer, world.org
    client = api(newcomer)
    assert_error(client.get(f"/organizations/{org.pk}"), 404)
    assert_error(client.get(f"/organizations/{org.pk}/members"), 404)
    assert_error(client.get(f"/proposals/{world.draft.pk}"), 404)
    assert client.get("/organizations").json()["items"] == []
    assert client.get("/proposals").json()["count"] == 0
    assert client.post(f"/invitations/{world.invitation.pk}/accept").status_code == 200
    assert client.get(f"/organizations/{org.pk}").status_code == 200
    assert client.get(f"/proposals/{world.draft.pk}").status_code == 200


def test_declining_leaves_no_membership_and_cannot_be_undone(api, world):
    client = api(world.newcomer)
    declined = client.post(f"/invitations/{world.invitation.pk}/decline")
    assert declined.status_code == 200
    assert declined.json()["state"] == "declined"
    assert not Membership.objects.filter(organization=world.org, user=world.newcomer).exists()
    assert_error(client.post(f"/invitations/{world.invitation.pk}/accept"), 409, "declined")
    assert not Membership.objects.filter(organization=world.org, user=world.newcomer).exists()


@pytest.mark.parametrize("who", ["outsider", "owner", "member", "operator"])
def test_nobody_else_can_answer_an_invitation(api, world, who):
    for answer in ("accept", "decline"):
        assert_error(api(world.user(who)).post(f"/invitations/{world.invitation.pk}/{answer}"),
                     404)
    world.invitation.refresh_from_db()
    assert world.invitation.state == "invited"
    assert not Membership.objects.filter(organization=world.org, user=world.user(who)
                                         ).exclude(user__in=[world.owner, world.member]).exists()


def test_accepting_twice_is_refused(api, world):
    client = api(world.newcomer)
    assert client.post(f"/invitations/{world.invitation.pk}/accept").status_code == 200
    assert_error(client.post(f"/invitations/{world.invitation.pk}/accept"), 409, "accepted")


def test_a_plain_member_cannot_invite(api, world):
    stranger = make_user()
    assert_error(api(world.member).post(f"/organizations/{world.org.pk}/members",
                                        {"username": stranger.username}), 403, "Only an owner")
    assert not Invitation.objects.filter(username=stranger.username).exists()


def test_a_revoked_invitation_cannot_be_accepted(api, world):
    invitation_revoke(invitation=world.invitation, by=world.owner)
    assert _pending(api, world.newcomer) == []
    assert_error(api(world.newcomer).post(f"/invitations/{world.invitation.pk}/accept"), 409)


def test_the_last_owner_cannot_be_removed_or_demoted(api, world):
    client, org, owner = api(world.owner), world.org, world.owner.username
    assert_error(client.post(f"/organizations/{org.pk}/members/{owner}/remove"), 409,
                 "last owner", "name another owner first")
    assert_error(client.patch(f"/organizations/{org.pk}/members/{owner}", {"role": "member"}),
                 409, "last owner", "name another owner first")
    assert Membership.objects.get(organization=org, user=world.owner).role == "owner"
    promoted = client.patch(f"/organizations/{org.pk}/members/{world.member.username}",
                            {"role": "owner"})
    assert promoted.json() == {"username": world.member.username, "role": "owner",
                               "organization": org.pk}
    assert client.patch(f"/organizations/{org.pk}/members/{owner}",
                        {"role": "member"}).status_code == 200
    assert_error(api(world.member).post(
        f"/organizations/{org.pk}/members/{world.member.username}/remove"), 409, "last owner")


def test_a_removed_member_loses_access(api, world):
    member = api(world.member)
    assert member.get(f"/proposals/{world.draft.pk}").status_code == 200
    removed = api(world.owner).post(
        f"/organizations/{world.org.pk}/members/{world.member.username}/remove")
    assert removed.status_code == 204
    assert_error(member.get(f"/organizations/{world.org.pk}"), 404)
    assert_error(member.get(f"/proposals/{world.draft.pk}"), 404)
    assert_error(member.get(f"/allocations/{world.allocation.pk}"), 404)


def test_a_member_cannot_remove_or_promote(api, world):
    client = api(world.member)
    assert_error(client.post(f"/organizations/{world.org.pk}/members/"
                             f"{world.owner.username}/remove"), 403)
    assert_error(client.patch(f"/organizations/{world.org.pk}/members/{world.member.username}",
                              {"role": "owner"}), 403)
    assert Membership.objects.get(organization=world.org, user=world.member).role == "member"


def test_removing_someone_who_is_not_a_member_is_404(api, world):
    assert_error(api(world.owner).post(
        f"/organizations/{world.org.pk}/members/{world.outsider.username}/remove"), 404,
        "not a member")


def test_every_membership_write_is_audited(world):
    other = make_user()
    declined = invite(world.org, other, by=world.owner)
    invitation_decline(invitation=declined, by=other)
    invitation_accept(invitation=world.invitation, by=world.newcomer)
    membership_set_role(organization=world.org, username=world.newcomer.username, role="owner",
                        by=world.owner)
    membership_remove(organization=world.org, username=world.member.username, by=world.owner)
    actions = list(AuditEvent.objects.filter(organization_id=world.org.pk,
                                             action__startswith="organization.")
                   .order_by("id").values_list("action", "actor__username"))
    assert actions[-6:] == [
        ("organization.invite", world.owner.username),
        ("organization.invite", world.owner.username),
        ("organization.invitation_decline", other.username),
        ("organization.invitation_accept", world.newcomer.username),
        ("organization.set_member_role", world.owner.username),
        ("organization.remove_member", world.owner.username),
    ]


# Pages -------------------------------------------------------------------------------------

def _browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_invitations_page_lists_and_accepts(world):
    browser = _browser(world.newcomer)
    assert "/invitations/" in browser.get("/organisations/").content.decode()
    page = browser.get("/invitations/")
    assert page.status_code == 200
    assert world.org.legal_name in page.content.decode()
    response = browser.post(f"/invitations/{world.invitation.pk}/accept/", follow=True)
    assert response.redirect_chain == [(f"/organisations/{world.org.pk}/", 302)]
    assert Membership.objects.filter(organization=world.org, user=world.newcomer).exists()
    assert world.org.legal_name not in browser.get("/invitations/").content.decode()


def test_invitations_page_of_someone_else_is_404(world):
    response = _browser(world.outsider).post(f"/invitations/{world.invitation.pk}/accept/")
    assert response.status_code == 404
    world.invitation.refresh_from_db()
    assert world.invitation.state == "invited"


def test_owner_page_invites_removes_and_keeps_the_last_owner(world):
    browser = _browser(world.owner)
    colleague = make_user("colleague")
    response = browser.post(f"/organisations/{world.org.pk}/members/",
                            {"username": "colleague", "role": "member"})
    assert response.status_code == 302
    assert not Membership.objects.filter(organization=world.org, user=colleague).exists()
    page = browser.get(f"/organisations/{world.org.pk}/").content.decode()
    assert "colleague" in page  # among the pending invitations
    browser.post(f"/organisations/{world.org.pk}/members/{world.member.username}/remove/")
    assert not Membership.objects.filter(organization=world.org, user=world.member).exists()
    refused = browser.post(
        f"/organisations/{world.org.pk}/members/{world.owner.username}/role/",
        {"role": "member"}, follow=True)
    assert "name another owner first" in refused.content.decode()
    assert Membership.objects.get(organization=world.org, user=world.owner).role == "owner"


def test_a_member_cannot_use_the_owner_forms(world):
    browser = _browser(world.member)
    browser.post(f"/organisations/{world.org.pk}/members/{world.owner.username}/remove/")
    browser.post(f"/organisations/{world.org.pk}/invitations/{world.invitation.pk}/revoke/")
    assert Membership.objects.filter(organization=world.org, user=world.owner).exists()
    world.invitation.refresh_from_db()
    assert world.invitation.state == "invited"
    assert _browser(world.outsider).post(
        f"/organisations/{world.org.pk}/members/{world.owner.username}/remove/"
    ).status_code == 404
