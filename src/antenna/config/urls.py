"""URL map: the API, the admin, the pages."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from antenna.allocations import urls as allocations_urls
from antenna.config.api import api
from antenna.organizations import urls as organizations_urls
from antenna.portal import urls as portal_urls

urlpatterns: list[URLPattern | URLResolver] = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("antenna.portal.urls")),
    path("", include("antenna.accounts.urls")),
    path("", include((organizations_urls.urlpatterns + portal_urls.organization_pages,
                      organizations_urls.app_name))),
    path("", include("antenna.factories.urls")),
    path("", include("antenna.calls.urls")),
    path("", include("antenna.proposals.urls")),
    path("", include((allocations_urls.urlpatterns + portal_urls.allocation_pages,
                      allocations_urls.app_name))),
    path("", include("antenna.jobs.urls")),
    path("", include("antenna.expertise.urls")),
    path("", include("antenna.training.urls")),
    path("", include("antenna.opportunities.urls")),
    path("", include("antenna.notifications.urls")),
    path("", include("antenna.reports.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
