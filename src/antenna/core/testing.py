"""Builders and an API client shared by every app's tests."""

from __future__ import annotations

import itertools
import json
from decimal import Decimal
from typing import Any

from django.test import Client

from antenna.accounts.models import User
from antenna.accounts.services import token_create, user_create
from antenna.calls.models import Call
from antenna.calls.services import call_create
from antenna.factories.models import Factory, FactoryKind, Partition
from antenna.organizations.models import Organization
from antenna.organizations.services import organization_create
from antenna.proposals.models import Proposal
from antenna.proposals.services import proposal_create

_seq = itertools.count(1)


def enterprise_number(body: int) -> str:
    """A valid Belgian enterprise number from an 8-digit body below 20,000,000."""
    return f"{body:08d}{97 - body % 97:02d}"


def make_user(username: str | None = None, role: str = "", password: str = "pw-Antenna-42",  # noqa: S107
              ) -> User:
    username = username or f"user{next(_seq)}"
    return user_create(username=username, email=f"{username}@example.org", password=password,
                       role=role, check_password=False)


def make_operator(username: str | None = None) -> User:
    return make_user(username or f"operator{next(_seq)}", role="operator")


def make_factory(name: str | None = None, *, gpus_per_node: int = 4, max_nodes: int = 4,
                 max_walltime: int = 1440, gpu_model: str = "gh200",
                 factor: Decimal = Decimal("1"), kind: str = FactoryKind.AI_FACTORY,
                 status: str = "online") -> Factory:
    name = name or f"factory{next(_seq)}"
    factory = Factory.objects.create(name=name, display_name=name.title(), country="DE",
                                     kind=kind, gpu_hour_factor=factor, status=status)
    Partition.objects.create(factory=factory, name="gpu", gpu_model=gpu_model,
                             gpus_per_node=gpus_per_node, max_nodes_per_job=max_nodes,
                             max_walltime_minutes=max_walltime, total_nodes=8, is_default=True)
    return factory


def make_call(mode: str = "playground", *, factories: list[Factory] | None = None,
              by: User | None = None, **overrides: Any) -> Call:
    by = by or make_operator()
    factories = factories or [make_factory()]
    return call_create(by=by, title=overrides.pop("title", f"{mode} call {next(_seq)}"),
                       mode=mode, factories=factories, **overrides)


def make_org(owner: User, *, kind: str = "startup", country: str = "BE",
             region: str = "flanders", legal_name: str | None = None) -> Organization:
    n = next(_seq)
    return organization_create(
        by=owner, legal_name=legal_name or f"Org {n}", kind=kind, country=country,
        region=region if country == "BE" else "",
        enterprise_number=enterprise_number(1_000_000 + n) if country == "BE" else "",
    )


def make_proposal(owner: User, call: Call, organization: Organization, **fields: Any) -> Proposal:
    values: dict[str, Any] = {
        "title": "Training a vision model", "abstract": "We train a model.",
        "requested_gpu_hours": min(call.max_gpu_hours, max(call.min_gpu_hours, 100)),
        "duration_months": call.allowed_durations[0], "civilian_use": True,
    }
    values.update(fields)
    return proposal_create(by=owner, call=call, organization=organization, **values)


class ApiClient:
    """A JSON client for /api/v1 that authenticates with a personal token (or not at all)."""

    def __init__(self, user: User | None = None) -> None:
        self.client = Client()
        self.user = user
        self.headers: dict[str, str] = {}
        if user is not None:
            _, key = token_create(user=user)
            self.headers["Authorization"] = f"Bearer {key}"

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        url = path if path.startswith("/api/") else f"/api/v1{path}"
        kwargs: dict[str, Any] = {"headers": self.headers}
        if body is not None:
            kwargs["data"] = json.dumps(body, default=str)
            kwargs["content_type"] = "application/json"
        return getattr(self.client, method)(url, **kwargs)

    def get(self, path: str) -> Any:
        return self._call("get", path)

    def post(self, path: str, body: Any = None) -> Any:
        return self._call("post", path, body if body is not None else {})

    def patch(self, path: str, body: Any) -> Any:
        return self._call("patch", path, body)
