#!/usr/bin/env bash
# Installs librdkafka 2.8.0 (with TLS, SASL, zstd and lz4) under /usr/local, built from Debian's
# source package, when the machine does not already have librdkafka >= 2.8.0.
#
# Why: Debian 12 ships librdkafka 2.0.2, which cannot parse the ApiVersions v3 response of the
# Tansu broker the tests use. understudy itself only uses API that 2.0.2 already has.
#
# Idempotent: quiet and instant when already installed. With `--pthreads`, installs nothing: it
# builds, in its cache, a copy of the same librdkafka that starts its threads with pthread_create
# instead of C11 thrd_create (ThreadSanitizer cannot see threads that thrd_create starts, and
# crashes in them), and prints that copy's lib directory for LD_LIBRARY_PATH.
# The machine's own apt sources are never changed: the source package is fetched through a
# private apt state whose mirror is read from the machine's existing apt configuration.
set -euo pipefail

WANT=2.8.0
PTHREADS=""
if [ "${1:-}" = "--pthreads" ]; then
  PTHREADS=1
elif pkg-config --atleast-version="$WANT" rdkafka 2>/dev/null; then
  exit 0
fi

log() { echo "install-librdkafka: $*" >&2; }
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/understudy/librdkafka-$WANT"
mkdir -p "$CACHE"

log "installing build dependencies"
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -q --no-install-recommends \
    build-essential pkg-config dpkg-dev libssl-dev libsasl2-dev zlib1g-dev libzstd-dev liblz4-dev >/dev/null; then
  $SUDO apt-get update -q >/dev/null
  $SUDO apt-get install -y -q --no-install-recommends \
    build-essential pkg-config dpkg-dev libssl-dev libsasl2-dev zlib1g-dev libzstd-dev liblz4-dev >/dev/null
fi

# Candidate mirrors: every Debian archive URI named in the machine's apt configuration, deb822
# files first (on these machines they name a working mirror; a sources.list line may not).
candidates() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk 'tolower($1)=="uris:" { for (i = 2; i <= NF; i++) print $i }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk '$1=="deb" || $1=="deb-src" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }' "$f"
  done
}

SRC="$CACHE/src"
if [ ! -d "$SRC/librdkafka-$WANT" ]; then
  STATE="$CACHE/apt"
  rm -rf "$STATE"
  mkdir -p "$STATE/state/lists/partial" "$STATE/cache/archives/partial" "$STATE/parts"
  APT=(-o "Dir::State=$STATE/state" -o "Dir::Cache=$STATE/cache"
       -o "Dir::Etc::SourceList=$STATE/sources.list" -o "Dir::Etc::SourceParts=$STATE/parts"
       -o "APT::Sandbox::User=root")
  found=""
  for uri in $(candidates | grep -v -- '-security' | grep -i debian | awk '!seen[$0]++'); do
    uri="${uri%/}"
    echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri trixie main" >"$STATE/sources.list"
    if apt-get -q "${APT[@]}" update >/dev/null 2>&1 \
       && apt-cache "${APT[@]}" showsrc librdkafka 2>/dev/null | grep -q "^Version: $WANT-"; then
      found="$uri"
      break
    fi
    log "mirror $uri did not serve librdkafka $WANT sources, trying the next one"
  done
  if [ -z "$found" ]; then
    log "no mirror in the apt configuration serves Debian 13's librdkafka $WANT source package"
    exit 1
  fi
  log "fetching the librdkafka $WANT source package"
  rm -rf "$SRC" && mkdir -p "$SRC"
  (cd "$SRC" && apt-get -q "${APT[@]}" source "librdkafka=$(apt-cache "${APT[@]}" showsrc librdkafka | awk '/^Version: '"$WANT"'-/ {print $2; exit}')" >/dev/null 2>&1)
fi

if [ -n "$PTHREADS" ]; then
  PREFIX="$CACHE/pthreads"
  if [ ! -f "$PREFIX/lib/librdkafka.so.1" ]; then
    log "building librdkafka $WANT with POSIX threads, for ThreadSanitizer (about a minute)"
    rm -rf "$SRC/pthreads-build"
    cp -a "$SRC/librdkafka-$WANT" "$SRC/pthreads-build"
    (cd "$SRC/pthreads-build" && make clean >/dev/null 2>&1 || true
     ./configure --prefix="$PREFIX" --disable-gssapi --disable-curl --disable-c11threads >/dev/null
     make -j"$(nproc)" libs >/dev/null 2>&1
     make -C src install >/dev/null 2>&1)
  fi
  echo "$PREFIX/lib"
  exit 0
fi

cd "$SRC/librdkafka-$WANT"
if [ ! -f src/librdkafka.so.1 ]; then
  log "building librdkafka $WANT (about 30 s)"
  ./configure --prefix=/usr/local --disable-gssapi --disable-curl >/dev/null
  make -j"$(nproc)" libs >/dev/null 2>&1
fi
# rdkafka_performance is the reference for the Kafka benchmark.
[ -x examples/rdkafka_performance ] || make -C examples rdkafka_performance >/dev/null 2>&1 || true
log "installing under /usr/local"
$SUDO make install-subdirs SUBDIRS=src >/dev/null 2>&1 || $SUDO make -C src install >/dev/null
$SUDO ldconfig
if [ -x examples/rdkafka_performance ]; then
  $SUDO install -m 0755 examples/rdkafka_performance /usr/local/bin/rdkafka_performance
fi
pkg-config --atleast-version="$WANT" rdkafka || {
  log "librdkafka installed, but pkg-config does not see it: is /usr/local/lib/pkgconfig on PKG_CONFIG_PATH?"
  exit 1
}
log "librdkafka $(pkg-config --modversion rdkafka) installed"
