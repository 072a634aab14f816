#!/usr/bin/env sh
# Takes the compose demo's primary down (every call answers 503) or brings it back.
#   ./outage.sh down | up
set -eu
case "${1:-}" in
  down) body='{"fault": "error", "status": 503}' ;;
  up) body='{"fault": "healthy"}' ;;
  *) echo "usage: $0 down|up" >&2; exit 2 ;;
esac
curl -fsS -X PUT -H 'content-type: application/json' --data "$body" http://127.0.0.1:8081/_sim/mode
echo
