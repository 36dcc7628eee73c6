#!/bin/sh
# Runs StarSync as PUID:PGID (default 1000:1000), as the old tool's entrypoint did, owning /config.
set -eu

PUID="${PUID:-1000}"
PGID="${PGID:-1000}"
CONFIG_DIR="${CONFIG_DIR:-/config}"
LOGS_DIR="${LOGS_DIR:-$CONFIG_DIR/logs}"

if [ "$(id -u)" = "0" ]; then
    mkdir -p "$CONFIG_DIR" "$LOGS_DIR"
    chown -R "$PUID:$PGID" "$CONFIG_DIR" "$LOGS_DIR"
    # HOME must be writable for .NET's first-run files.
    export HOME="$CONFIG_DIR"
    exec setpriv --reuid="$PUID" --regid="$PGID" --clear-groups -- "$@"
fi

# Started as a non-root user already (docker run --user): just run.
exec "$@"
