#!/usr/bin/env bash
# Serve Tongxin with the background task worker and the scheduler beside it; Ctrl-C stops all three.
set -eu
PORT="${1:-8000}"
# Links in e-mails and chat messages point at this server unless SITE_URL says otherwise.
export SITE_URL="${SITE_URL:-http://127.0.0.1:${PORT}}"
mkdir -p var/log
.venv/bin/python manage.py rhythm_schedule >var/log/rhythm_schedule.log 2>&1 || echo "rhythm_schedule failed: see var/log/rhythm_schedule.log"
.venv/bin/python manage.py db_worker >var/log/worker.log 2>&1 &
WORKER=$!
.venv/bin/python manage.py run_scheduler --interval 30 >var/log/scheduler.log 2>&1 &
SCHEDULER=$!
trap 'kill $WORKER $SCHEDULER 2>/dev/null || true' EXIT INT TERM
echo "task worker: var/log/worker.log · scheduler: var/log/scheduler.log"
.venv/bin/python manage.py runserver --noreload "127.0.0.1:${PORT}"
