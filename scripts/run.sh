#!/usr/bin/env bash
# `make run`: migrate, seed the demo workspace, then serve it (and, with REDIS_URL, a Celery
# worker beside it). Ctrl-C stops everything this script started.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PORT=${PORT:-8000}
export DEBUG=${DEBUG:-true}
# Links in the mail we send (verification, away notices) point at this server.
export SITE_URL="${SITE_URL:-http://127.0.0.1:${PORT}}"

$BIN/python manage.py migrate --no-input
$BIN/python manage.py seed_demo

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

if [ -n "${REDIS_URL:-}" ]; then
  echo "Starting a Celery worker (REDIS_URL is set)"
  $BIN/celery -A helpdesk worker --loglevel=INFO --concurrency=2 -B &
  pids+=($!)
else
  echo "REDIS_URL is not set: tasks run in-process"
fi

if $BIN/python manage.py help smtpd >/dev/null 2>&1; then
  $BIN/python manage.py smtpd --host 127.0.0.1 --port "${SMTP_PORT:-2525}" &
  pids+=($!)
fi

echo
echo "Helpdesk: http://127.0.0.1:${PORT}/"
$BIN/python manage.py runserver "127.0.0.1:${PORT}" --noreload &
pids+=($!)
wait -n "${pids[@]}"
