from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import obtain_auth_token

from synthgov.api.exceptions import endpoint_not_found
from synthgov.health import liveness, readiness
from synthgov.metrics import metrics_view

admin.site.site_header = "synthgov"
admin.site.site_title = "synthgov"
admin.site.index_title = "Governance of synthetic training data"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("health/", liveness, name="health-live"),
    path("health/ready/", readiness, name="health-ready"),
    path("metrics", metrics_view, name="metrics"),
    path("api/v1/", include("synthgov.api.urls")),
    path("api/auth/token/", obtain_auth_token, name="api-token"),
    path("api/auth/", include("rest_framework.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    re_path(r"^api/", endpoint_not_found),
]
