#!/usr/bin/env bash
# The whole test suite: unit tests (on this machine's Node and on the Node version
# action.yml declares), the dist/ freshness check, and the end-to-end suite against a
# real Docker engine, buildx, QEMU and registry. Sets up what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -d node_modules ] || npm ci --no-audit --no-fund

echo "== typecheck"
npx tsc --noEmit -p .

echo "== engine, registry, QEMU and Node 24 (test/e2e/setup-engine.sh)"
bash test/e2e/setup-engine.sh
# shellcheck disable=SC1091
source "${BUILD_PUSH_E2E_HOME:-/opt/build-push-e2e}/env"

echo "== unit tests on $(node --version)"
npx vitest run --project unit

echo "== unit tests on $("$E2E_NODE24" --version) (the runtime action.yml declares)"
"$E2E_NODE24" node_modules/vitest/vitest.mjs run --project unit --exclude test/dist.test.ts

echo "== end-to-end tests (dist/ run by the runner emulator on $("$E2E_NODE24" --version))"
npx vitest run --project e2e
