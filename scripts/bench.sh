#!/usr/bin/env bash
# Benchmark: the action vs the equivalent raw docker commands, same warm-cache
# multi-platform build of example/app, alternating rounds, one run. See scripts/bench.mjs.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
bash test/e2e/setup-engine.sh >&2
# shellcheck disable=SC1091
source "${BUILD_PUSH_E2E_HOME:-/opt/build-push-e2e}/env"
exec "$E2E_NODE24" scripts/bench.mjs "$@"
