"""Organisation pages: my organisations, registration, detail and members."""

from __future__ import annotations

import pytest
from django.test import Client

from antenna import testing
from antenna.organizations.models import Invitation, Membership, Organization

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_pages_need_login():
    for path in ("/organisations/", "/organisations/new/", "/organisations/1/"):
        response = Client().get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/")


def test_register_organisation_via_page(applicant):
    client = client_for(applicant)
    assert client.get("/organisations/new/").status_code == 200
    response = client.post("/organisations/new/", {
        "legal_name": "Deep Startup", "kind": "startup", "country": "BE", "region": "wallonia",
        "sector": "health_biotech", "enterprise_number": testing.enterprise_number(1_234_567),
    })
    assert response.status_code == 302
    org = Organization.objects.get(legal_name="Deep Startup")
    assert Membership.objects.get(organization=org).user == applicant
    assert "Deep Startup" in client.get(response["Location"]).content.decode()


def test_bad_enterprise_number_is_400_and_creates_nothing(applicant):
    response = client_for(applicant).post("/organisations/new/", {
        "legal_name": "Deep Startup", "kind": "startup", "country": "BE", "region": "flanders",
        "sector": "other", "enterprise_number": "0123.456.789",
    })
    assert response.status_code == 400
    assert "enterprise number" in response.content.decode()
    assert not Organization.objects.exists()


def test_list_shows_mine_with_bounded_queries(applicant, django_assert_max_num_queries):
    mine = [testing.make_org(applicant) for _ in range(3)]
    other = testing.make_org(testing.make_user())
    client = client_for(applicant)
    with django_assert_max_num_queries(5):
        response = client.get("/organisations/")
    html = response.content.decode()
    assert all(org.legal_name in html for org in mine)
    assert other.legal_name not in html


def test_detail_of_another_organisation_is_404(applicant):
    other = testing.make_org(testing.make_user())
    client = client_for(applicant)
    assert client.get(f"/organisations/{other.pk}/").status_code == 404
    assert client.get("/organisations/999999/").status_code == 404


def test_owner_invites_a_member_who_joins_only_by_accepting(applicant):
    org = testing.make_org(applicant)
    colleague = testing.make_user("colleague")
    client = client_for(applicant)
    assert client.get(f"/organisations/{org.pk}/").status_code == 200
    response = client.post(f"/organisations/{org.pk}/members/",
                           {"username": "colleague", "role": "member"})
    assert response.status_code == 302
    assert not Membership.objects.filter(organization=org, user=colleague).exists()
    assert Invitation.objects.get(organization=org, username="colleague").invitee == colleague


def test_plain_member_cannot_add_members(applicant):
    org = testing.make_org(applicant)
    member = testing.make_user()
    Membership.objects.create(organization=org, user=member, role="member")
    testing.make_user("intruder")
    response = client_for(member).post(f"/organisations/{org.pk}/members/",
                                       {"username": "intruder", "role": "member"})
    assert response.status_code == 403
    assert not Membership.objects.filter(organization=org, user__username="intruder").exists()


def test_inviting_an_unknown_username_looks_like_inviting_anyone(applicant):
    org = testing.make_org(applicant)
    testing.make_user("somebody")
    client = client_for(applicant)
    pages = [client.post(f"/organisations/{org.pk}/members/", {"username": name,
                                                               "role": "member"}, follow=True)
             for name in ("nobody", "somebody")]
    assert [p.status_code for p in pages] == [200, 200]
    assert "nobody is invited to" in pages[0].content.decode()
    assert "somebody is invited to" in pages[1].content.decode()
    assert "sign up" not in pages[0].content.decode()
