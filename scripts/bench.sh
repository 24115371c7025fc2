#!/usr/bin/env bash
# Benchmark: the action vs the equivalent raw docker commands, same warm-cache
# multi-platform build of example/app, alternating rounds, one run per engine of the
# matrix (BUILD_PUSH_BENCH_ENGINES, default: classic containerd docker26; see
# test/e2e/setup-engine.sh). See scripts/bench.mjs.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
for engine in ${BUILD_PUSH_BENCH_ENGINES:-classic containerd docker26}; do
  BUILD_PUSH_E2E_ENGINE=$engine bash test/e2e/setup-engine.sh >&2
  # shellcheck disable=SC1091
  source "${BUILD_PUSH_E2E_HOME:-/opt/build-push-e2e}/env"
  echo
  echo "== engine $engine: Docker $E2E_ENGINE_VERSION, buildx $E2E_BUILDX_VERSION, $E2E_IMAGE_STORE image store"
  "$E2E_NODE24" scripts/bench.mjs "$@"
done
