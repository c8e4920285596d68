#!/usr/bin/env bash
# The whole test suite, as `npm test` and CI run it: system packages, build, lint, format,
# Jest (unit + integration, on SQLite and on a throw-away PostgreSQL) and Playwright e2e in
# Debian's chromium. Ends with one line "N passed, N failed" over everything.
set -uo pipefail
cd "$(dirname "$0")/../.."

reports=tmp/test-reports
rm -rf "$reports"
mkdir -p "$reports"
started=$SECONDS

step() { printf '\n=== %s ===\n' "$*"; }

# A set-up step that must work for the tests to mean anything.
required() {
  local name=$1
  shift
  step "$name"
  if ! "$@"; then
    echo "FAILED: $name" >&2
    echo "setup:$name" >>"$reports/failed-checks"
    node infra/test/summarize.js "$reports"
    exit 1
  fi
}

# A check that counts as one test in the totals (lint, format).
check() {
  local name=$1
  shift
  step "$name"
  if "$@"; then echo "$name" >>"$reports/passed-checks"; else echo "$name" >>"$reports/failed-checks"; fi
}

required "system packages" bash infra/install-system-deps.sh
required "build" npx nx run-many -t build --output-style=stream
required "initramfs" npm run build:initramfs
check "lint" npx nx run-many -t lint --output-style=stream
check "format" npx prettier --check .

# shellcheck source=infra/test/postgres.sh
source infra/test/postgres.sh
trap postgres_stop EXIT
required "PostgreSQL for the integration tests" postgres_start

step "jest: unit and integration tests"
npx jest --ci --json --outputFile="$reports/jest.json"

step "playwright: browser e2e"
# Free ports picked once here, so the config's main process and its workers agree on them.
free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
E2E_MGMT_PORT=$(free_port) E2E_DEPLOY_PORT=$(free_port) PLAYWRIGHT_JSON_OUTPUT_NAME="$PWD/$reports/playwright.json" \
  npx playwright test -c e2e/playwright.config.ts

step "summary ($((SECONDS - started)) s)"
node infra/test/summarize.js "$reports"
