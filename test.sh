#!/usr/bin/env bash
# Runs every Portcullis test on a fresh machine. Installs what the tests need first, idempotently:
# Node.js and npm (for the openai and portkey-ai client tests) and the npm packages pinned in tests/node.
set -euo pipefail
cd "$(dirname "$0")"

log() { printf '\n== %s\n' "$*"; }

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  log "installing Node.js and npm"
  if [ "$(id -u)" -eq 0 ]; then apt-get update -qq && apt-get install -y -qq nodejs npm; else sudo apt-get update -qq && sudo apt-get install -y -qq nodejs npm; fi
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "test.sh: the .NET 10 SDK is required (dotnet not found on PATH)" >&2
  exit 2
fi

log "npm packages for the client tests"
(cd tests/node && npm ci --no-audit --no-fund --loglevel=error)

log "build"
dotnet build Portcullis.sln -c Debug -nologo -clp:ErrorsOnly

log "tests"
output="$(mktemp)"
set +e
dotnet test Portcullis.sln -c Debug --no-build -nologo --logger "console;verbosity=normal" "$@" 2>&1 | tee "$output"
status=${PIPESTATUS[0]}
set -e

count() { { grep -E "^ +$1: +[0-9]+\$" "$output" || true; } | awk '{s+=$2} END {print s+0}'; }
passed=$(count Passed)
failed=$(count Failed)
skipped=$(count Skipped)
rm -f "$output"
echo
echo "Tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$status" -eq 0 ] && [ "$passed" -eq 0 ]; then
  echo "test.sh: no test ran" >&2
  exit 1
fi
exit "$status"
