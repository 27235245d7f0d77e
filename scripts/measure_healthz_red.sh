#!/usr/bin/env bash
# Measure how long /healthz takes to turn red after the Celery worker stops,
# with the web server still up. Run after `make run` has installed and seeded once:
#   scripts/measure_healthz_red.sh            # SIGTERM the worker
#   SIGNAL=STOP scripts/measure_healthz_red.sh  # freeze it: alive but not consuming
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${PORT:-8766}"
SIGNAL="${SIGNAL:-TERM}"
BIN=.venv/bin
"$BIN/python" manage.py runserver "127.0.0.1:${PORT}" --noreload >/dev/null 2>&1 &
WEB=$!
"$BIN/celery" -A config worker --beat --loglevel=WARNING --concurrency=1 \
  --scheduler django_celery_beat.schedulers:DatabaseScheduler >/dev/null 2>&1 &
WORKER=$!
trap 'kill -CONT $WORKER 2>/dev/null; kill $WEB $WORKER 2>/dev/null || true' EXIT
code=000
for _ in $(seq 1 60); do
  code=$(curl -s -o /dev/null -w "%{http_code}" "http://127.0.0.1:${PORT}/healthz" || true)
  [ "$code" = 200 ] && break
  sleep 2
done
echo "healthz before: HTTP $code"
start=$(date +%s)
kill "-$SIGNAL" "$WORKER"
while true; do
  code=$(curl -s -o /tmp/healthz.json -w "%{http_code}" --max-time 10 "http://127.0.0.1:${PORT}/healthz" || true)
  now=$(date +%s)
  if [ "$code" != 200 ]; then
    echo "FIGURE healthz_red_after_worker_${SIGNAL,,} seconds=$((now - start)) http=$code"
    cat /tmp/healthz.json; echo
    break
  fi
  [ $((now - start)) -gt 120 ] && { echo "still green after 120 s"; exit 1; }
  sleep 2
done
