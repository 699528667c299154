"""List endpoints run a fixed number of queries, whatever the number of rows."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from antenna.proposals.services import proposal_submit
from antenna.testing import (
    ApiClient,
    add_member,
    make_call,
    make_factory,
    make_org,
    make_proposal,
    make_user,
)

pytestmark = pytest.mark.django_db


def _organizations(user, operator, n):
    for _ in range(n):
        org = make_org(user)
        add_member(org, make_user(), by=user)


def _factories(user, operator, n):
    for _ in range(n):
        make_factory()


def _calls(user, operator, n):
    for _ in range(n):
        make_call("fast_lane", by=operator, factories=[make_factory(), make_factory()])


def _proposals(user, operator, n):
    org = make_org(user)
    for _ in range(n):
        call = make_call("playground", by=operator)
        proposal_submit(proposal=make_proposal(user, call, org), by=user)


def _allocations(user, operator, n):
    _proposals(user, operator, n)


# path, how to add n rows, expected queries: token lookup + page + count (+ prefetches)
LISTS: list[tuple[str, Callable[..., None], int]] = [
    ("/organizations", _organizations, 3),
    ("/factories", _factories, 4),
    ("/calls", _calls, 4),
    ("/proposals", _proposals, 3),
    ("/allocations", _allocations, 3),
]


@pytest.mark.parametrize(("path", "add_rows", "queries"), LISTS,
                         ids=[p for p, _, _ in LISTS])
def test_list_query_count_does_not_grow_with_rows(path, add_rows, queries,
                                                  django_assert_num_queries):
    user, operator = make_user(), make_user(role="operator")
    client = ApiClient(user)
    client.get(path)  # the first request stamps the token's last use (one extra write)
    add_rows(user, operator, 3)
    with django_assert_num_queries(queries):
        first = client.get(path)
    add_rows(user, operator, 7)
    with django_assert_num_queries(queries):
        second = client.get(path)
    assert first.status_code == second.status_code == 200
    assert second.json()["count"] == first.json()["count"] + 7 >= 10
    assert len(second.json()["items"]) == second.json()["count"]
