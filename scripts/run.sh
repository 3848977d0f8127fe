#!/usr/bin/env bash
# Start a django-q2 cluster and the development server; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
# For trying synthgov out: DEBUG on unless the caller set it (production leaves it off).
export DEBUG="${DEBUG:-1}"

$BIN/python manage.py qcluster &
cluster=$!
trap 'kill -TERM "$cluster" 2>/dev/null; wait "$cluster" 2>/dev/null || true' EXIT INT TERM

echo "Admin: http://127.0.0.1:8000/admin/  (Ctrl-C stops the server and the q2 cluster)"
$BIN/python manage.py runserver 127.0.0.1:8000
