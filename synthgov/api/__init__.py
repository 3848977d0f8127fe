"""The REST API (v1): shared edges only; each app's serializers and viewsets live in `<app>/api/`."""
