#!/usr/bin/env bash
# Serve Tongxin and run the background task worker beside it; Ctrl-C stops both.
set -eu
PORT="${1:-8000}"
.venv/bin/python manage.py db_worker >/tmp/tongxin-worker.log 2>&1 &
WORKER=$!
trap 'kill $WORKER 2>/dev/null || true' EXIT INT TERM
.venv/bin/python manage.py runserver "127.0.0.1:${PORT}"
