#!/usr/bin/env bash
# Installs the OpenID Provider the tests start (tests/oidc-provider:
# node-oidc-provider at the exact version of its package-lock.json) with
# `npm ci`, idempotently: skipped when node_modules was installed after the
# lockfile last changed (npm writes node_modules/.package-lock.json).
# Needs node (>= 20) and npm.
set -euo pipefail
cd "$(dirname "$0")/../tests/oidc-provider"
if [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
    echo "+ tests/oidc-provider: node_modules is up to date with package-lock.json"
    exit 0
fi
echo "+ (cd tests/oidc-provider && npm ci)"
npm ci --no-audit --no-fund --loglevel=error
