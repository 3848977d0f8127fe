"""GET /api/v1/generators/ (the backend registry) and /api/v1/generator-profiles/ (admin-managed profiles).

Generators are code, not data: any signed-in user may read them (a client needs the config
schema to trigger a job). Profiles need `jobs_app.view_generatorprofile`, as in the admin. A
profile never holds a key: it names the environment variable, and the API says whether that
variable is set in this (the web) process, never its value.
"""

import os

from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from synthgov.api.serializers import ModelSerializer, errors

from ..generators import GENERATORS, backend_description, generator_config_schema
from ..models import GeneratorProfile

NO_SUCH_GENERATOR = "No generator named {key!r}; generators: {known}."


class GeneratorSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The value of a job's `generator`.")
    description = serializers.CharField()
    reports_usage = serializers.BooleanField(help_text="Whether its jobs report model token usage.")
    config_schema = serializers.JSONField(help_text="JSON Schema of the job's `generator_config` for this backend.")


def describe_generator(backend) -> dict:
    return {
        "key": backend.name,
        "description": backend_description(backend),
        "reports_usage": backend.reports_usage,
        "config_schema": generator_config_schema(backend),
    }


@extend_schema_view(
    list=extend_schema(
        summary="The generator backends and their per-job configuration schema",
        responses={200: GeneratorSerializer(many=True), **errors(403)},
    ),
    retrieve=extend_schema(summary="One generator backend", responses={200: GeneratorSerializer, **errors(403, 404)}),
)
class GeneratorViewSet(viewsets.GenericViewSet):
    serializer_class = GeneratorSerializer
    permission_classes = [IsAuthenticated]
    filter_backends = []
    pagination_class = None
    lookup_field = "key"
    lookup_value_regex = "[a-z0-9_-]+"

    def list(self, request):
        return Response([describe_generator(backend) for backend in GENERATORS.values()])

    def retrieve(self, request, key=None):
        backend = GENERATORS.get(key)
        if backend is None:
            raise Http404(NO_SUCH_GENERATOR.format(key=key, known=", ".join(GENERATORS)))
        return Response(describe_generator(backend))


class GeneratorProfileSerializer(ModelSerializer):
    """Every field of the profile (there is no key among them) and whether its key variable is set."""

    api_key_set = serializers.SerializerMethodField(
        help_text="Whether api_key_env is set in the web server's environment (null: the profile needs no key). "
        "Workers read their own environment when the job runs."
    )

    class Meta:
        model = GeneratorProfile
        fields = "__all__"

    def get_api_key_set(self, profile) -> bool | None:
        return profile.api_key_env in os.environ if profile.api_key_env else None


@extend_schema_view(
    list=extend_schema(summary="Generator profiles (connection settings; never a key)"),
    retrieve=extend_schema(summary="One generator profile, by name"),
)
class GeneratorProfileViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = GeneratorProfile.objects.all()
    serializer_class = GeneratorProfileSerializer
    lookup_field = "name"
    lookup_value_regex = "[-a-zA-Z0-9_]+"
    filterset_fields = ["name", "model"]
