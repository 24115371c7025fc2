#!/usr/bin/env bash
# The main job, end to end: sets up a real Docker engine, buildx, QEMU and a local
# registry (127.0.0.1:5000, password auth), then runs the bundled action through the
# runner emulator on a push event: it builds example/app for linux/amd64 and
# linux/arm64 and pushes it. Prints the tags, digest and platforms from the registry.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
bash test/e2e/setup-engine.sh >&2
# shellcheck disable=SC1091
source "${BUILD_PUSH_E2E_HOME:-/opt/build-push-e2e}/env"
exec "$E2E_NODE24" scripts/demo.mjs "$@"
