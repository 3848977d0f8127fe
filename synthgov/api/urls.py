"""The v1 router: every resource of the API, each served by its app's viewset."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from collections_app.api.views import CollectionViewSet, MembershipFillViewSet, ReleaseViewSet
from jobs_app.api.generators import GeneratorProfileViewSet, GeneratorViewSet
from jobs_app.api.views import JobViewSet, RejectedArtifactViewSet
from qa_app.api.imports import ImportRunViewSet
from qa_app.api.views import QAPairViewSet
from templates_app.api.views import ChapterViewSet, PromptTemplateViewSet, SubchapterViewSet, TemplateVersionViewSet
from tenants_app.api.views import TenantViewSet
from webhooks_app.api.views import WebhookDeliveryViewSet, WebhookEndpointViewSet

router = DefaultRouter()
router.register("chapters", ChapterViewSet)
router.register("subchapters", SubchapterViewSet)
router.register("templates", PromptTemplateViewSet)
router.register("template-versions", TemplateVersionViewSet)
router.register("jobs", JobViewSet)
router.register("rejected-artifacts", RejectedArtifactViewSet)
router.register("generators", GeneratorViewSet, basename="generator")
router.register("generator-profiles", GeneratorProfileViewSet)
router.register("qa-pairs", QAPairViewSet)
router.register("imports", ImportRunViewSet)
router.register("collections", CollectionViewSet)
router.register("releases", ReleaseViewSet)
router.register("membership-fills", MembershipFillViewSet)
router.register("tenants", TenantViewSet)
router.register("webhooks", WebhookEndpointViewSet)
router.register("webhook-deliveries", WebhookDeliveryViewSet)

urlpatterns = [path("", include(router.urls))]
