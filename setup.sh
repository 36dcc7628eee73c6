#!/usr/bin/env bash
# One-time set-up on a fresh machine with the .NET 10 SDK: Debian's Chromium + ChromeDriver for the
# browser tests, iproute2 + curl for the network-namespace tests, axe-core from npm for the accessibility tests,
# then the NuGet restore. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1 \
   || ! command -v ip >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    sudo_cmd=""
    if [ "$(id -u)" -ne 0 ]; then
      if ! command -v sudo >/dev/null 2>&1; then
        echo "setup.sh: installing packages needs root; run: apt-get install -y chromium chromium-driver iproute2 curl" >&2
        exit 1
      fi
      sudo_cmd="sudo"
    fi
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium chromium-driver iproute2 curl >/dev/null
  else
    echo "setup.sh: install Chromium, ChromeDriver, iproute2 and curl for the browser and network tests (apt-get not found)." >&2
  fi
fi

# axe-core (from npm, version pinned in its package-lock.json) for the accessibility checks of the browser tests.
if command -v npm >/dev/null 2>&1; then
  npm ci --prefix tests/StarSync.Tests/Browser/axe --no-audit --no-fund --loglevel=error
else
  echo "setup.sh: npm not found; install Node.js and npm, then run: npm ci --prefix tests/StarSync.Tests/Browser/axe" >&2
  exit 1
fi

dotnet restore StarSync.slnx
