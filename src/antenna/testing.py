"""Builders and an API client shared by every app's tests."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import shlex
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.utils import timezone

from antenna.accounts.models import User
from antenna.accounts.services import token_create, user_create
from antenna.allocations.models import Allocation
from antenna.calls.models import Call
from antenna.calls.services import call_create
from antenna.connectors.base import Connector, Health, JobSpec, JobStatus
from antenna.expertise.models import ExpertiseRequest, ExpertProfile
from antenna.expertise.services import expertise_request_create
from antenna.factories.models import Factory, FactoryKind, Partition, SiteAccount
from antenna.factories.services import site_account_link
from antenna.jobs.models import Job
from antenna.jobs.services import job_submit
from antenna.organizations.models import Invitation, Membership, Organization
from antenna.organizations.services import (
    invitation_accept,
    invitation_create,
    organization_create,
)
from antenna.proposals.models import Proposal
from antenna.proposals.services import (
    proposal_assign_reviewer,
    proposal_create,
    proposal_submit,
)
from antenna.training.models import TrainingEvent
from antenna.training.services import event_create

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


def make_reviewer(username: str | None = None) -> User:
    return make_user(username or f"reviewer{next(_seq)}", role="reviewer")


def make_observer(username: str | None = None) -> User:
    return make_user(username or f"observer{next(_seq)}", role="observer")


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


def invite(organization: Organization, user: User, *, role: str = "member",
           by: User | None = None) -> Invitation:
    """An owner (the creator, unless `by`) invites `user`: pending until they answer."""
    inviter = by or organization.created_by
    assert inviter is not None, "give `by`: the organisation has no creator"
    return invitation_create(organization=organization, username=user.username, role=role,
                             by=inviter)


def add_member(organization: Organization, user: User, *, role: str = "member",
               by: User | None = None) -> Membership:
    """Membership the way people get it: an owner invites, the person accepts."""
    invitation_accept(invitation=invite(organization, user, role=role, by=by), by=user)
    return Membership.objects.get(organization=organization, user=user)


def make_proposal(owner: User, call: Call, organization: Organization, **fields: Any) -> Proposal:
    values: dict[str, Any] = {
        "title": "Training a vision model", "abstract": "We train a model.",
        "requested_gpu_hours": min(call.max_gpu_hours, max(call.min_gpu_hours, 100)),
        "duration_months": call.allowed_durations[0], "civilian_use": True,
    }
    values.update(fields)
    return proposal_create(by=owner, call=call, organization=organization, **values)


def make_allocation(factory: Factory, *, gpu_hours: int = 100,
                    owner: User | None = None) -> tuple[User, Allocation]:
    """(owner, allocation): a new organisation's Playground proposal of `gpu_hours` on a call
    over `factory`, submitted and so granted at once (Playground's automatic decision)."""
    call = make_call("playground", factories=[factory], by=make_operator())
    owner = owner or make_user()
    proposal = make_proposal(owner, call, make_org(owner), requested_gpu_hours=gpu_hours)
    proposal_submit(proposal=proposal, by=owner)
    return owner, Allocation.objects.get(proposal=proposal)


PDF_BYTES = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


class ApiClient:
    """A JSON client for /api/v1 that authenticates with a personal token (or not at all).

    `token=` sends that exact bearer token instead of creating one (e.g. a wrong one);
    `ApiClient.session(user)` signs in with a session cookie instead of a token.
    """

    def __init__(self, user: User | None = None, *, token: str | None = None,
                 enforce_csrf_checks: bool = False) -> None:
        self.client = Client(enforce_csrf_checks=enforce_csrf_checks)
        self.user = user
        self.headers: dict[str, str] = {}
        if token is not None:
            self.headers["Authorization"] = f"Bearer {token}"
        elif user is not None:
            _, key = token_create(user=user)
            self.headers["Authorization"] = f"Bearer {key}"

    @classmethod
    def session(cls, user: User, *, enforce_csrf_checks: bool = False) -> ApiClient:
        client = cls(None, enforce_csrf_checks=enforce_csrf_checks)
        client.client.force_login(user)
        client.user = user
        return client

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        url = path if path.startswith("/api/") else f"/api/v1{path}"
        kwargs: dict[str, Any] = {"headers": self.headers}
        if body is not None:
            kwargs["data"] = body if isinstance(body, str | bytes) else json.dumps(body,
                                                                                 default=str)
            kwargs["content_type"] = "application/json"
        return getattr(self.client, method)(url, **kwargs)

    def request(self, method: str, path: str, body: Any = None) -> Any:
        """Any method by name (`get`, `post`, `patch`, ...), the body sent as JSON."""
        if method == "post" and body is None:
            body = {}
        return self._call(method, path, body)

    def get(self, path: str) -> Any:
        return self._call("get", path)

    def post(self, path: str, body: Any = None) -> Any:
        return self._call("post", path, body if body is not None else {})

    def patch(self, path: str, body: Any) -> Any:
        return self._call("patch", path, body)

    def upload(self, path: str, content: bytes = PDF_BYTES, name: str = "plan.pdf") -> Any:
        """POST a multipart form with one file field called `file`."""
        url = path if path.startswith("/api/") else f"/api/v1{path}"
        upload = SimpleUploadedFile(name, content, content_type="application/pdf")
        return self.client.post(url, {"file": upload}, headers=self.headers)


def assert_error(response: Any, status: int, *fragments: str) -> dict[str, Any]:
    """The response is a JSON error `{"detail": ...}` with `status`, naming every fragment."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body: dict[str, Any] = response.json()
    assert isinstance(body.get("detail"), str) and body["detail"].strip(), body
    for fragment in fragments:
        assert fragment.lower() in body["detail"].lower(), (fragment, body["detail"])
    return body


def error_shape(body: dict[str, Any]) -> tuple[list[str], str]:
    """An error body with its numbers blanked, to compare two 404s for different ids."""
    return sorted(body), re.sub(r"\d+", "N", str(body.get("detail", "")))


@dataclass
class World:
    """One of everything, in the states the access workflow goes through.

    `org` (owner + member) has: a draft (AI for Science), a Fast Lane proposal under
    technical review, a Large Scale proposal in peer review with `reviewer` assigned, and an
    accepted Playground proposal with its active `allocation` and a queued `job` on it.
    `outsider` owns `other_org`. `newcomer` has a pending `invitation` to `org` (not a member).
    """

    operator: User
    observer: User
    owner: User
    member: User
    outsider: User
    reviewer: User
    reviewer2: User
    newcomer: User
    factory: Factory
    org: Organization
    other_org: Organization
    calls: dict[str, Call]
    draft: Proposal
    under_review: Proposal
    in_peer_review: Proposal
    accepted: Proposal
    allocation: Allocation
    job: Job
    invitation: Invitation
    site_account: SiteAccount
    users: dict[str, User] = field(default_factory=dict)
    expert: User | None = None
    expertise_request: ExpertiseRequest | None = None
    event: TrainingEvent | None = None

    def ids(self) -> dict[str, Any]:
        """Path parameters by name (ids, and `member_username`), for endpoint templates."""
        return {
            "org": self.org.pk, "other_org": self.other_org.pk,
            "draft": self.draft.pk, "under_review": self.under_review.pk,
            "in_peer_review": self.in_peer_review.pk, "accepted": self.accepted.pk,
            "allocation": self.allocation.pk, "job": self.job.pk,
            "invitation": self.invitation.pk, "member_username": self.member.username,
            **{f"call_{mode}": call.pk for mode, call in self.calls.items()},
            "factory": self.factory.pk, "site_account": self.site_account.pk,
            "expertise_request": self.expertise_request.pk if self.expertise_request else 0,
            "event": self.event.pk if self.event else 0,
        }

    def user(self, role: str) -> User:
        return self.users[role]


def make_world() -> World:
    operator = make_operator()
    owner, member, outsider, newcomer = make_user(), make_user(), make_user(), make_user()
    observer = make_observer()
    reviewer, reviewer2 = make_reviewer(), make_reviewer()
    factory = make_factory()
    calls = {mode: make_call(mode, factories=[factory], by=operator)
             for mode in ("playground", "fast_lane", "large_scale", "ai_for_science")}
    org = make_org(owner)
    add_member(org, member, by=owner)
    other_org = make_org(outsider)
    draft = make_proposal(owner, calls["ai_for_science"], org)
    under_review = proposal_submit(proposal=make_proposal(owner, calls["fast_lane"], org),
                                   by=owner)
    in_peer_review = proposal_submit(proposal=make_proposal(owner, calls["large_scale"], org),
                                     by=owner)
    proposal_assign_reviewer(proposal=in_peer_review, reviewer=reviewer, by=operator)
    accepted = proposal_submit(proposal=make_proposal(owner, calls["playground"], org), by=owner)
    allocation = Allocation.objects.get(proposal=accepted)
    job = job_submit(by=owner, allocation=allocation, name="hello",
                     script="#!/bin/bash\necho hello\n", gpus=1, walltime_minutes=10)
    world = World(
        operator=operator, observer=observer, owner=owner, member=member, outsider=outsider,
        reviewer=reviewer, reviewer2=reviewer2, newcomer=newcomer, factory=factory, org=org,
        other_org=other_org, calls=calls, draft=draft, under_review=under_review,
        in_peer_review=Proposal.objects.get(pk=in_peer_review.pk), accepted=accepted,
        allocation=Allocation.objects.get(pk=allocation.pk), job=job,
        invitation=invite(org, newcomer, by=owner),
        site_account=site_account_link(user=member, factory=factory,
                                       username=f"site_{member.username}", by=member),
    )
    world.users = {"operator": operator, "observer": observer, "owner": owner,
                   "member": member, "outsider": outsider, "reviewer": reviewer,
                   "reviewer2": reviewer2, "newcomer": newcomer}
    world.expert = make_expert(skills=["porting"])
    world.users["expert"] = world.expert
    world.expertise_request = expertise_request_create(
        organization=org, topic="porting", title="CUDA kernels on LUMI",
        description="How do we port our CUDA kernels to ROCm?", language="en", by=member)
    starts = timezone.now() + dt.timedelta(days=14)
    world.event = event_create(title="ROCm for CUDA users", starts_at=starts,
                               ends_at=starts + dt.timedelta(hours=3), capacity=20, by=operator)
    return world


def make_expert(username: str | None = None, *, skills: list[str] | None = None,
                languages: list[str] | None = None, regions: list[str] | None = None,
                capacity: int = 5) -> User:
    """A user with the `expert` role and their profile (skills are expertise topics)."""
    expert = make_user(username or f"expert{next(_seq)}", role="expert")
    ExpertProfile.objects.create(user=expert, skills=skills or [],
                                 languages=languages or ["en"], regions=regions or [],
                                 capacity=capacity)
    return expert


def read_cluster_env(path: Path) -> dict[str, str]:
    """The `export NAME=value` lines a testbed's start script writes (testbeds/slurm*/)."""
    env: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if line.startswith("export "):
            key, _, value = line[len("export "):].partition("=")
            env[key] = shlex.split(value)[0] if value else ""
    return env


class NullConnector(Connector):
    """A test factory that answers every call with nothing (no job known, healthy); a test's
    connector subclasses it and overrides only the calls it exercises."""

    def _submit(self, spec: JobSpec) -> str:
        raise AssertionError(f"{type(self).__name__} does not submit")

    def _find(self, spec: JobSpec) -> str | None:
        return None

    def _poll(self, ids: list[str]) -> dict[str, JobStatus]:
        return {}

    def _cancel(self, scheduler_job_id: str) -> None:
        pass

    def _accounting(self, scheduler_job_id: str) -> JobStatus | None:
        return None

    def _accounting_since(self, since: dt.datetime) -> list[JobStatus]:
        return []

    def _read_log(self, scheduler_job_id: str, max_bytes: int) -> str:
        return ""

    def _health(self) -> Health:
        return Health(ok=True)


def in_threads(target: Callable[[], object], count: int) -> list[BaseException]:
    """Run `target` in `count` threads at once (each closes its database connection at the
    end, as a worker process would) and return what they raised."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            target()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
