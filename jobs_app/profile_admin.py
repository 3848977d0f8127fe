"""Generator profiles: the OpenAI-compatible servers jobs may use, and how hard to drive them."""

import os

from django import forms
from django.contrib import admin

from synthgov.admin_tools import (
    GovernedHistoryAdmin,
)

from .models import GeneratorProfile


class GeneratorProfileForm(forms.ModelForm):
    # Local servers (vLLM, Ollama, llama.cpp) mostly speak plain http.
    base_url = forms.URLField(
        assume_scheme="http", max_length=200, help_text=GeneratorProfile._meta.get_field("base_url").help_text
    )

    class Meta:
        model = GeneratorProfile
        fields = [
            "name",
            "base_url",
            "model",
            "structured_output",
            "temperature",
            "max_tokens",
            "min_concurrency",
            "concurrency",
            "requests_per_minute",
            "timeout_seconds",
            "max_retries",
            "early_stop_window",
            "early_stop_rejection_rate",
            "early_stop_error_rate",
            "api_key_env",
        ]

    def clean_api_key_env(self):
        return self.cleaned_data["api_key_env"].strip()


@admin.register(GeneratorProfile)
class GeneratorProfileAdmin(GovernedHistoryAdmin):
    form = GeneratorProfileForm
    list_display = [
        "name",
        "model",
        "base_url",
        "min_concurrency",
        "concurrency",
        "requests_per_minute",
        "api_key_status",
    ]
    search_fields = ["name", "model", "base_url"]
    readonly_fields = ["api_key_status", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "base_url", "model", "structured_output"]}),
        ("Sampling", {"fields": ["temperature", "max_tokens"]}),
        (
            "Load and faults",
            {
                "fields": ["min_concurrency", "concurrency", "requests_per_minute", "timeout_seconds", "max_retries"],
                "description": "The concurrency adapts to the server within min_concurrency..concurrency, "
                "per worker process: halved on 429, 5xx and timeouts, one more per round of fast replies; "
                "a Retry-After pauses every request of the process.",
            },
        ),
        (
            "Early stop",
            {
                "fields": ["early_stop_window", "early_stop_rejection_rate", "early_stop_error_rate"],
                "description": "A job fails early, keeping what it made, when more than these shares of the last "
                "N records were rejected or met server errors.",
            },
        ),
        ("API key", {"fields": ["api_key_env", "api_key_status"]}),
        ("Times", {"fields": ["created_at", "updated_at"]}),
    ]

    @admin.display(description="API key")
    def api_key_status(self, profile):
        # Only whether the variable is set, and only in this (web) process: workers may differ.
        if not profile.api_key_env:
            return "none needed"
        state = "set" if profile.api_key_env in os.environ else "NOT set"
        return f"{profile.api_key_env} is {state}"
