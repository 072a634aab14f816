#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine (apt packages, librdkafka 2.8.0) and runs `understudy demo`:
# an in-process Kafka (librdkafka's mock cluster), a simulated primary and backup provider, a
# batch of summary jobs, and a primary outage part-way through. About a minute after the build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build --product understudy
exec .build/debug/understudy demo "$@"
