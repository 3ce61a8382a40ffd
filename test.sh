#!/usr/bin/env bash
# Runs every Portcullis test on a fresh machine. Installs what the tests need first, idempotently:
# Node.js and npm (for the openai, portkey-ai and @anthropic-ai/sdk client tests) and the npm packages pinned in tests/node.
set -euo pipefail
cd "$(dirname "$0")"

log() { printf '\n== %s\n' "$*"; }

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  log "installing Node.js and npm"
  if [ "$(id -u)" -eq 0 ]; then apt-get update -qq && apt-get install -y -qq nodejs npm; else sudo apt-get update -qq && sudo apt-get install -y -qq nodejs npm; fi
fi

# The npm clients under test (openai 6, @anthropic-ai/sdk 1) need Node.js 20 or later.
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "test.sh: Node.js $(node --version) is too old for the client tests; install Node.js 20 or later" >&2
  exit 2
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
