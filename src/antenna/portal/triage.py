"""Intake triage: which route to compute fits a newcomer, and why (PRODUCT.md, "One-stop intake").

A pure function of four answers; the page only asks them and shows the recommendation. The
thresholds follow the access modes' defaults (`calls.modes.MODE_DEFAULTS`): Playground up to
5,000 GPU-hours, Fast Lane up to 50,000 for startups and SMEs that know HPC, Large Scale above
50,000 for industry, AI for Science for research and EU-funded collaborations, Belgium's
national LUMI share for academic research outside EU projects, the local sandbox for tests.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from antenna.calls.modes import MODE_DEFAULTS, AccessMode
from antenna.organizations.models import OrganizationKind

PLAYGROUND_MAX = MODE_DEFAULTS[AccessMode.PLAYGROUND].max_gpu_hours
FAST_LANE_MAX = MODE_DEFAULTS[AccessMode.FAST_LANE].max_gpu_hours
SANDBOX_MAX = 500  # beyond this a test is no longer a test: the sandbox has a handful of GPUs

INDUSTRY = {OrganizationKind.STARTUP, OrganizationKind.SME, OrganizationKind.LARGE_ENTERPRISE}
SMALL_COMPANIES = {OrganizationKind.STARTUP, OrganizationKind.SME}
ACADEMIC = {OrganizationKind.UNIVERSITY, OrganizationKind.RESEARCH_CENTRE}


class Goal(models.TextChoices):
    TRY_AI = "try_ai", gettext_lazy("Try AI on a supercomputer for the first time")
    FINE_TUNE = "fine_tune", gettext_lazy("Fine-tune an existing model on my data")
    TRAIN_LARGE = "train_large", gettext_lazy("Train a large model")
    RESEARCH_EU = "research_eu", gettext_lazy(
        "Run research, alone or with partners in an EU-funded project")
    TEST_LOCALLY = "test_locally", gettext_lazy(
        "Test or validate my code on a small machine first")


class Route(models.TextChoices):
    PLAYGROUND = "playground", gettext_lazy("Playground")
    FAST_LANE = "fast_lane", gettext_lazy("Fast Lane")
    LARGE_SCALE = "large_scale", gettext_lazy("Large Scale")
    AI_FOR_SCIENCE = "ai_for_science", gettext_lazy("AI for Science")
    LUMI_NATIONAL = "lumi_national", gettext_lazy("Belgium's national LUMI share")
    SANDBOX = "sandbox", gettext_lazy("The antenna's local sandbox")


# The access mode whose call a route applies to (None: applied to outside the calls).
ROUTE_MODE: dict[str, str | None] = {
    Route.PLAYGROUND: AccessMode.PLAYGROUND,
    Route.FAST_LANE: AccessMode.FAST_LANE,
    Route.LARGE_SCALE: AccessMode.LARGE_SCALE,
    Route.AI_FOR_SCIENCE: AccessMode.AI_FOR_SCIENCE,
    Route.LUMI_NATIONAL: None,
    # The sandbox is reached through a Playground call, choosing the sandbox as factory.
    Route.SANDBOX: AccessMode.PLAYGROUND,
}


@dataclass(frozen=True)
class Answers:
    goal: str
    gpu_hours: int | None  # None: "I don't know"
    organization_kind: str
    used_hpc: bool


@dataclass(frozen=True)
class Recommendation:
    route: str
    reason: str
    mode: str | None

    @property
    def label(self) -> str:
        return str(Route(self.route).label)


def _rec(route: Route, reason: str) -> Recommendation:
    return Recommendation(route=route.value, reason=reason, mode=ROUTE_MODE[route])


def recommend(answers: Answers) -> Recommendation:
    """The route that fits these answers, with the reason in one or two sentences."""
    goal, hours, kind = answers.goal, answers.gpu_hours, answers.organization_kind
    unknown = hours is None
    size = hours or 0

    if goal == Goal.TEST_LOCALLY and (unknown or size <= SANDBOX_MAX):
        return _rec(Route.SANDBOX, _(
            "To test or validate code, the antenna's own small machine is the quickest start: "
            "no queue behind thousands of users, and your data stays in Belgium."))

    if goal == Goal.RESEARCH_EU:
        return _rec(Route.AI_FOR_SCIENCE, _(
            "Research and EU-funded collaborations go to AI for Science: every kind of "
            "organisation may apply, for six months, after a technical check and peer review."))

    big = size > FAST_LANE_MAX or (unknown and goal == Goal.TRAIN_LARGE)

    if kind in ACADEMIC:
        if big or (goal in (Goal.TRAIN_LARGE, Goal.FINE_TUNE) and size > PLAYGROUND_MAX):
            return _rec(Route.LUMI_NATIONAL, _(
                "Belgium is a member of the LUMI consortium: academic research outside EU "
                "projects can use the national LUMI share, allocated through the Belgian "
                "calls for LUMI time."))
        return _rec(Route.PLAYGROUND, _(
            "A Playground project answers within two working days and is enough to try your "
            "idea on a real AI Factory; apply for more once you have measured a run."))

    if kind in INDUSTRY and big:
        return _rec(Route.LARGE_SCALE, _(
            "Above 50,000 GPU-hours, industrial work goes to Large Scale: three to twelve "
            "months, technical assessment and peer review, ranked at each cut-off."))

    if kind not in INDUSTRY and big:
        return _rec(Route.AI_FOR_SCIENCE, _(
            "For large AI work by public bodies and non-profits, AI for Science is the route "
            "open to every kind of organisation: six months, with peer review."))

    if kind in SMALL_COMPANIES and answers.used_hpc and not unknown and size > PLAYGROUND_MAX:
        return _rec(Route.FAST_LANE, _(
            "You know HPC and need more than a trial: the Fast Lane gives a startup or SME up "
            "to 50,000 GPU-hours after a short technical assessment, within four working "
            "days."))

    if kind in SMALL_COMPANIES and answers.used_hpc and goal in (Goal.FINE_TUNE,
                                                               Goal.TRAIN_LARGE) and unknown:
        return _rec(Route.FAST_LANE, _(
            "You know HPC and want real work done: the Fast Lane fits a startup or SME, up to "
            "50,000 GPU-hours. The estimator on the form helps you size the request."))

    if size > PLAYGROUND_MAX:
        return _rec(Route.PLAYGROUND, _(
            "Start on the Playground (up to 5,000 GPU-hours, answer within two working days) "
            "and measure a run: the Fast Lane is for startups and SMEs that know HPC, and "
            "Large Scale starts above 50,000 GPU-hours."))

    if answers.used_hpc:
        return _rec(Route.PLAYGROUND, _(
            "Your need fits the Playground: a short form, checked automatically, and access "
            "within two working days."))
    return _rec(Route.PLAYGROUND, _(
        "New to supercomputers? The Playground is made for first steps: a short form, an "
        "automatic check, and help from the antenna's experts to run your first job."))
