#!/usr/bin/env bash
# The whole test suite: unit tests (on this machine's Node and on the Node version
# action.yml declares), the dist/ freshness check, and the end-to-end suite against a
# real Docker engine, buildx, QEMU and registry, once on each engine of the matrix
# (BUILD_PUSH_E2E_ENGINES, default: classic containerd docker26). Sets up what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -d node_modules ] || npm ci --no-audit --no-fund

echo "== typecheck"
npx tsc --noEmit -p .

echo "== lint (ESLint) and format (Prettier)"
npm run --silent lint
npm run --silent format:check

# The engines GitHub's runners have (see test/e2e/setup-engine.sh): ubuntu-latest's Docker 28
# with the classic image store, the same engine with the containerd store (ubuntu-26.04's),
# and Docker 26.1 + buildx 0.13 for what is specific to an older buildx.
ENGINES=${BUILD_PUSH_E2E_ENGINES:-classic containerd docker26}
first=${ENGINES%% *}

echo "== engine ($first), registry, QEMU and Node 24 (test/e2e/setup-engine.sh)"
BUILD_PUSH_E2E_ENGINE=$first bash test/e2e/setup-engine.sh
# shellcheck disable=SC1091
source "${BUILD_PUSH_E2E_HOME:-/opt/build-push-e2e}/env"

echo "== unit tests on $(node --version)"
npx vitest run --project unit

echo "== unit tests on $("$E2E_NODE24" --version) (the runtime action.yml declares)"
BUILD_PUSH_DIST_CHECKED=1 "$E2E_NODE24" node_modules/vitest/vitest.mjs run --project unit

for engine in $ENGINES; do
  if [[ $engine != "$first" ]]; then
    echo "== engine $engine (test/e2e/setup-engine.sh)"
    BUILD_PUSH_E2E_ENGINE=$engine bash test/e2e/setup-engine.sh
    # shellcheck disable=SC1091
    source "${BUILD_PUSH_E2E_HOME:-/opt/build-push-e2e}/env"
  fi
  echo "== end-to-end tests on $engine: Docker $E2E_ENGINE_VERSION, buildx $E2E_BUILDX_VERSION, $E2E_IMAGE_STORE image store (dist/ run by the runner emulator on $("$E2E_NODE24" --version))"
  npx vitest run --project e2e
done
