"""The one NinjaAPI that mounts every app's router at /api/v1."""

from __future__ import annotations

from ninja import NinjaAPI

from antenna.accounts.auth import API_AUTH
from antenna.allocations.api import router as allocations_router
from antenna.calls.api import router as calls_router
from antenna.core.api import install_error_handlers
from antenna.expertise.api import experts_router
from antenna.expertise.api import router as expertise_router
from antenna.factories.api import router as factories_router
from antenna.factories.api import site_accounts_router
from antenna.jobs.api import router as jobs_router
from antenna.notifications.api import router as notifications_router
from antenna.opportunities.api import router as opportunities_router
from antenna.organizations.api import invitations_router
from antenna.organizations.api import router as organizations_router
from antenna.proposals.api import router as proposals_router
from antenna.reports.api import outlook_router
from antenna.reports.api import router as kpis_router
from antenna.training.api import router as training_router

api = NinjaAPI(
    title="Antenna API",
    version="1",
    description=(
        "The API of an AI Factory Antenna: organisations, factories, access calls, proposals, "
        "reviews, decisions and GPU-hour allocations. Authenticate with "
        "`Authorization: Bearer <token>`."
    ),
    urls_namespace="api-v1",
    auth=API_AUTH,  # every router's endpoints: an API token or the browser session
)
install_error_handlers(api)
api.add_router("/organizations", organizations_router)
api.add_router("/invitations", invitations_router)
api.add_router("/factories", factories_router)
api.add_router("/site-accounts", site_accounts_router)
api.add_router("/calls", calls_router)
api.add_router("/proposals", proposals_router)
api.add_router("/allocations", allocations_router)
api.add_router("/jobs", jobs_router)
api.add_router("/expertise-requests", expertise_router)
api.add_router("/experts", experts_router)
api.add_router("/opportunities", opportunities_router)
api.add_router("/events", training_router)
api.add_router("/notification-preferences", notifications_router)
api.add_router("/kpis", kpis_router)
api.add_router("/outlook", outlook_router)
