"""antenna seed_demo: factories, calls, organisations and users for the demo (idempotent), their
texts in four languages, the expertise desk, training events and opportunities
(`portal/demo_content.py`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from antenna.accounts.models import PlatformRole, User
from antenna.accounts.services import user_create
from antenna.calls.models import Call
from antenna.calls.modes import AccessMode
from antenna.calls.services import call_create
from antenna.core.translated import in_base_language
from antenna.factories.models import Factory, FactoryKind, Partition
from antenna.opportunities.models import Opportunity
from antenna.organizations.models import Membership, Organization
from antenna.organizations.services import (
    invitation_accept,
    invitation_create,
    organization_create,
)
from antenna.portal.demo_content import seed_content
from antenna.portal.demo_history import seed_history
from antenna.proposals.models import Proposal
from antenna.proposals.services import (
    proposal_assign_reviewer,
    proposal_create,
    proposal_submit,
)
from antenna.training.models import TrainingEvent

DEMO_PASSWORD = "antenna-demo"

USERS = [
    ("demo-operator", PlatformRole.OPERATOR, "Olivia", "Operator"),
    ("demo-applicant", PlatformRole.NONE, "Amir", "Applicant"),
    ("demo-researcher", PlatformRole.NONE, "Rosa", "Researcher"),
    ("demo-reviewer", PlatformRole.REVIEWER, "Ruben", "Reviewer"),
    ("demo-reviewer2", PlatformRole.REVIEWER, "Rania", "Reviewer"),
    ("demo-expert", PlatformRole.EXPERT, "Eva", "Expert"),
    ("demo-expert2", PlatformRole.EXPERT, "Lukas", "Berater"),
    ("demo-observer", PlatformRole.OBSERVER, "Omer", "Observer"),
]

FACTORIES: list[dict[str, Any]] = [
    {
        "name": "jupiter", "display_name": "JUPITER AI Factory", "country": "DE",
        "location": "Jülich, Germany", "kind": FactoryKind.AI_FACTORY,
        "description": "JUPITER Booster: about 6,000 nodes of 4 NVIDIA GH200 (96 GB).",
        "accounting_unit": "core-hours", "units_per_gpu_hour": Decimal("72"),
        "gpu_hour_factor": Decimal("1"), "connector": "local",
        "connector_settings": {"gpu_slots": 8},
        "partitions": [("booster", "gh200", 4, 16, 1440, 5800, True),
                       ("develbooster", "gh200", 4, 2, 120, 20, False)],
    },
    {
        "name": "lumi", "display_name": "LUMI AI Factory", "country": "FI",
        "location": "Kajaani, Finland", "kind": FactoryKind.AI_FACTORY,
        "description": "LUMI-G: 2,978 nodes of 4 AMD MI250X, seen by Slurm as 8 GCDs. ROCm.",
        "accounting_unit": "LUMI GPU-hours", "units_per_gpu_hour": Decimal("1"),
        "gpu_hour_factor": Decimal("0.5"), "connector": "local",
        "connector_settings": {"gpu_slots": 16},
        "partitions": [("standard-g", "mi250x", 8, 1024, 2880, 2978, True),
                       ("small-g", "mi250x", 8, 4, 4320, 200, False),
                       ("dev-g", "mi250x", 8, 32, 180, 48, False)],
    },
    {
        "name": "sandbox", "display_name": "Antenna sandbox", "country": "BE",
        "location": "Belgium", "kind": FactoryKind.SANDBOX,
        "description": "The antenna's small local sandbox for tests and fine-tuning.",
        "accounting_unit": "GPU-hours", "units_per_gpu_hour": Decimal("1"),
        "gpu_hour_factor": Decimal("1"), "connector": "local",
        "connector_settings": {"gpu_slots": 4},
        "partitions": [("gpu", "l40s", 4, 1, 720, 2, True)],
    },
]


def enterprise_number(body: int) -> str:
    """A valid Belgian enterprise number built from an 8-digit body."""
    return f"{body:08d}{97 - body % 97:02d}"


ORGANIZATIONS = [
    ("Brightvision AI", "startup", "BE", "flanders", "health_biotech", 4_123_456,
     "demo-applicant"),
    ("Usine Robotique Liégeoise", "sme", "BE", "wallonia", "manufacturing_robotics",
     5_234_567, "demo-applicant"),
    ("Université Libre de Demo", "university", "BE", "brussels", "research", 4_070_012,
     "demo-researcher"),
    ("Vlaamse Overheid Demo", "public_administration", "BE", "flanders", "public_services",
     2_016_013, "demo-researcher"),
    ("Kraków Space Systems", "sme", "PL", "outside_belgium", "space_aviation", None,
     "demo-researcher"),
]

CALLS = [
    (AccessMode.PLAYGROUND, "Playground: first steps with AI on a supercomputer",
     ["jupiter", "lumi", "sandbox"]),
    (AccessMode.FAST_LANE, "Fast Lane for startups and SMEs", ["jupiter", "lumi"]),
    (AccessMode.LARGE_SCALE, "Large Scale industrial AI", ["jupiter", "lumi"]),
    (AccessMode.AI_FOR_SCIENCE, "AI for Science and collaborative EU projects",
     ["jupiter", "lumi"]),
]


class Command(BaseCommand):
    help = "Load the demo data: factories, one open call per mode, organisations, users."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--history", type=int, default=0, metavar="MONTHS",
            help="Also create MONTHS months of past activity (proposals, decisions, "
                 "allocations, jobs) for the indicators and the outlook; e.g. 24.")

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        # The plain names of translated fields (`title=`) are the English texts.
        with in_base_language():
            self._seed(**options)

    def _seed(self, **options: Any) -> None:
        users = {}
        for username, role, first, last in USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = user_create(username=username, email=f"{username}@example.org",
                                   password=DEMO_PASSWORD, role=role, first_name=first,
                                   last_name=last, check_password=False)
            users[username] = user
        factories = {}
        for spec in FACTORIES:
            spec = dict(spec)
            partitions = spec.pop("partitions")
            factory, _ = Factory.objects.get_or_create(name=spec["name"], defaults=spec)
            for name, model, per_node, max_nodes, walltime, total, default in partitions:
                Partition.objects.get_or_create(
                    factory=factory, name=name,
                    defaults={"gpu_model": model, "gpus_per_node": per_node,
                              "max_nodes_per_job": max_nodes, "max_walltime_minutes": walltime,
                              "total_nodes": total, "is_default": default},
                )
            factories[factory.name] = factory
        operator = users["demo-operator"]
        calls = {}
        for mode, title, names in CALLS:
            call = Call.objects.filter(title=title).first()
            if call is None:
                call = call_create(by=operator, title=title, mode=mode,
                                   factories=[factories[n] for n in names])
            calls[mode] = call
        for name, kind, country, region, sector, body, owner in ORGANIZATIONS:
            org = Organization.objects.filter(legal_name=name).first()
            if org is None:
                org = organization_create(
                    by=users[owner], legal_name=name, kind=kind, country=country,
                    region=region, sector=sector,
                    enterprise_number=enterprise_number(body) if body else "",
                    first_time_hpc=kind in ("startup", "sme"),
                )
        brightvision = Organization.objects.get(legal_name="Brightvision AI")
        if not Membership.objects.filter(organization=brightvision,
                                         user=users["demo-researcher"]).exists():
            invitation = invitation_create(organization=brightvision,
                                           username="demo-researcher",
                                           by=users["demo-applicant"])
            invitation_accept(invitation=invitation, by=users["demo-researcher"])
        playground = calls[AccessMode.PLAYGROUND]
        if not Proposal.objects.filter(call=playground, organization=brightvision).exists():
            proposal = proposal_create(
                by=users["demo-applicant"], call=playground, organization=brightvision,
                title="Fine-tuning a radiology report summariser",
                abstract="We fine-tune an open 7B language model on de-identified radiology "
                         "reports to draft summaries for radiologists.",
                requested_gpu_hours=500, duration_months=3, civilian_use=True,
                factory=factories["sandbox"],
                gpu_hours_justification="3 runs x 8 GPUs x 20 h = 480 GPU-hours, plus tests.",
            )
            proposal_submit(proposal=proposal, by=users["demo-applicant"])
        # Proposals waiting for people, so the operator console and the reviewer queue show
        # something: a Fast Lane request and an AI for Science one under peer review.
        fast_lane = calls[AccessMode.FAST_LANE]
        if not Proposal.objects.filter(call=fast_lane, organization=brightvision).exists():
            proposal = proposal_create(
                by=users["demo-applicant"], call=fast_lane, organization=brightvision,
                title="Segmenting chest X-rays at scale",
                abstract="Training a segmentation model on 40,000 de-identified chest X-rays "
                         "to outline lung nodules for radiologists.",
                requested_gpu_hours=6_000, duration_months=2, civilian_use=True,
                factory=factories["jupiter"], gpus_per_job=8,
                gpu_hours_justification="25 runs x 8 GPUs x 30 h = 6,000 GPU-hours.",
            )
            proposal_submit(proposal=proposal, by=users["demo-applicant"])
        university = Organization.objects.get(legal_name="Université Libre de Demo")
        science = calls[AccessMode.AI_FOR_SCIENCE]
        if not Proposal.objects.filter(call=science, organization=university).exists():
            proposal = proposal_create(
                by=users["demo-researcher"], call=science, organization=university,
                title="Multilingual language models for Belgian public services",
                abstract="Continued pre-training of an open 8B model on Dutch, French and "
                         "German public-service texts, evaluated with the regions.",
                requested_gpu_hours=120_000, duration_months=6, civilian_use=True,
                factory=factories["lumi"], gpus_per_job=64,
                gpu_hours_justification="8B parameters x 200B tokens x 6 FLOPs at 40% of "
                                        "MI250X peak: about 110,000 GPU-hours, plus margin.",
            )
            proposal_submit(proposal=proposal, by=users["demo-researcher"])
            proposal_assign_reviewer(proposal=proposal, reviewer=users["demo-reviewer"],
                                     by=operator)
            proposal_assign_reviewer(proposal=proposal, reviewer=users["demo-reviewer2"],
                                     by=operator)
        seed_content(users=users, calls=calls, factories=factories)
        if options.get("history"):
            summary = seed_history(
                months=options["history"], calls=calls, factories=factories,
                operator=operator,
                reviewers=[users["demo-reviewer"], users["demo-reviewer2"]])
            self.stdout.write(f"History: {summary.months} months, {summary.organizations} "
                              f"organisations, {summary.proposals} proposals, "
                              f"{summary.jobs} jobs.")
        self.stdout.write(self.style.SUCCESS(
            f"Demo data ready: {Factory.objects.count()} factories, {Call.objects.count()} calls, "
            f"{Organization.objects.count()} organisations, {User.objects.count()} users, "
            f"{TrainingEvent.objects.count()} events, {Opportunity.objects.count()} "
            "opportunities."
        ))
