#!/usr/bin/env bash
# shellcheck shell=bash
#
# Shared definitions for the send-review developer scripts.
#
# Source it (it only defines variables and functions):
#   source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
#
#   REPO_ROOT   absolute path of the repository (derived from this file's location)
#   LOCAL_DIR   "$REPO_ROOT/.local": gitignored scratch space (logs in $LOCAL_DIR/logs)
#   info MSG... / warn MSG...   one-line messages on stderr, prefixed "[send-review]"
#   die MSG...                  error message on stderr, then exit 1

# These are used by the scripts that source this file.
# shellcheck disable=SC2034
{
# Resolve symlinks in the directory part so REPO_ROOT is canonical.
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
LOCAL_DIR="$REPO_ROOT/.local"
LOG_DIR="$LOCAL_DIR/logs"
# Chromium used by the browser tests (Debian's package installs it here).
CHROMIUM_BIN="/usr/bin/chromium"
}

# All messages go to stderr so that stdout stays usable for values
# (e.g. `port=$(free_port)`).
info() {
    printf '[send-review] %s\n' "$*" >&2
}

warn() {
    printf '[send-review] warning: %s\n' "$*" >&2
}

die() {
    printf '[send-review] error: %s\n' "$*" >&2
    exit 1
}

# sha256 of a file, hex digest only (GNU coreutils, or shasum on macOS).
sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum -- "$1" | cut -d' ' -f1
    else
        shasum -a 256 -- "$1" | cut -d' ' -f1
    fi
}

# Print the last lines of a log file to stderr (used before die).
show_log_tail() {
    local file=$1 lines=${2:-40}
    if [[ -s $file ]]; then
        printf '[send-review] ---- last %s lines of %s ----\n' "$lines" "$file" >&2
        tail -n "$lines" -- "$file" >&2 || true
        printf '[send-review] ----\n' >&2
    fi
}
