"""URL map: the API, the admin, the pages."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from antenna.config.api import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("antenna.portal.urls")),
    path("", include("antenna.accounts.urls")),
    path("", include("antenna.organizations.urls")),
    path("", include("antenna.factories.urls")),
    path("", include("antenna.calls.urls")),
    path("", include("antenna.proposals.urls")),
    path("", include("antenna.allocations.urls")),
    path("", include("antenna.jobs.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
