#!/usr/bin/env bash
# shellcheck shell=bash
#
# Idempotent, cached provisioning of the local tool chain. Each function prints one
# line; installer output goes to $LOG_DIR and is shown (tail) only on failure.
#
#   provision_python    .venv from requirements-dev.txt; pip runs only when the file's
#                       sha256 differs from .venv/.requirements.sha256.
#   provision_node      node_modules via `npm ci` (or `npm install` without a lockfile);
#                       runs only when the sha256 of package-lock.json (or package.json)
#                       differs from node_modules/.package-lock.sha256.
#   provision_chromium  installs Debian's chromium with apt-get when $CHROMIUM_BIN is
#                       missing (root only; otherwise dies with the sudo command).
#   provision_debian_tool BIN PACKAGE
#                       installs a Debian package with apt-get when BIN is missing (root
#                       only; otherwise dies with the sudo command): pdftotext, faketime.
#   provision_all       Python, Node, Chromium and poppler-utils (pdftotext).
#   provision_bench_python  also installs requirements-bench.txt (the benchmark anchor's
#                       OR-Tools) into .venv, when its sha256 differs from
#                       .venv/.requirements-bench.sha256.

# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

VENV_DIR="$REPO_ROOT/.venv"

# provision_python: create .venv if needed, (re)install requirements-dev.txt when it changed.
provision_python() {
    [[ -f $REPO_ROOT/requirements-dev.txt ]] || die "$REPO_ROOT/requirements-dev.txt not found"
    mkdir -p "$LOG_DIR"

    # A venv whose interpreter no longer runs (e.g. its base Python was removed) is rebuilt.
    if [[ ! -x $VENV_DIR/bin/python ]] || ! "$VENV_DIR/bin/python" -c '' >/dev/null 2>&1; then
        info "python: creating virtualenv .venv"
        if ! python3 -m venv --clear "$VENV_DIR" >"$LOG_DIR/venv.log" 2>&1; then
            show_log_tail "$LOG_DIR/venv.log"
            die "python3 -m venv failed (Debian/Ubuntu: apt-get install -y python3-venv); log: $LOG_DIR/venv.log"
        fi
    fi
    pip_install_changed requirements-dev.txt .requirements.sha256 pip-install.log
}

# provision_bench_python: .venv as above, plus requirements-bench.txt (scripts/bench only).
provision_bench_python() {
    provision_python
    pip_install_changed requirements-bench.txt .requirements-bench.sha256 pip-install-bench.log
}

# pip_install_changed FILE STAMP LOG: pip install -r FILE (in the repository) into .venv when
# its sha256 differs from the one recorded in .venv/STAMP; pip's output goes to $LOG_DIR/LOG.
pip_install_changed() {
    local name=$1
    local req="$REPO_ROOT/$1"
    local stamp="$VENV_DIR/$2"
    local log="$LOG_DIR/$3"
    local want

    want=$(sha256_of "$req")
    changed "$stamp" "$want" "python: .venv up to date ($name)" || return 0

    info "python: installing $name into .venv (log: ${log#"$REPO_ROOT"/})"
    run_logged "$log" "pip install -r $name" \
        "$VENV_DIR/bin/python" -m pip install --disable-pip-version-check --no-input -q -r "$req"
    printf '%s\n' "$want" >"$stamp"
}

# provision_node: npm ci (or npm install) when the lockfile (or package.json) changed.
provision_node() {
    local lock="$REPO_ROOT/package-lock.json"
    local pkg="$REPO_ROOT/package.json"
    local nm="$REPO_ROOT/node_modules"
    local stamp="$nm/.package-lock.sha256"
    local log="$LOG_DIR/npm-install.log"
    local src want
    local -a cmd

    [[ -f $pkg ]] || die "$pkg not found"
    command -v npm >/dev/null 2>&1 || die "npm not found (Debian/Ubuntu: apt-get install -y nodejs npm)"
    mkdir -p "$LOG_DIR"

    if [[ -f $lock ]]; then
        src=$lock
        cmd=(npm ci --no-audit --no-fund)
    else
        src=$pkg
        cmd=(npm install --no-audit --no-fund)
    fi
    want=$(sha256_of "$src")
    changed "$stamp" "$want" "node: node_modules up to date" || return 0

    info "node: running ${cmd[*]} (log: ${log#"$REPO_ROOT"/})"
    run_logged "$log" "${cmd[*]}" env -C "$REPO_ROOT" "${cmd[@]}"
    # `npm install` may just have written a lockfile: stamp what the next run will hash.
    if [[ -f $lock ]]; then
        want=$(sha256_of "$lock")
    fi
    printf '%s\n' "$want" >"$stamp"
}

# changed STAMP WANT MESSAGE: whether the file STAMP does not record WANT (the sha256 of what
# the last install was of). If it does, says MESSAGE; if not, removes it, so that an install
# that fails or is interrupted leaves no stamp.
changed() {
    if [[ -f $1 && $(<"$1") == "$2" ]]; then
        info "$3"
        return 1
    fi
    rm -f "$1"
}

# run_logged LOG WHAT COMMAND...: runs COMMAND with its output in LOG; if it fails, shows the
# log's tail and dies saying WHAT failed.
run_logged() {
    local log=$1 what=$2
    shift 2
    if ! "$@" >"$log" 2>&1; then
        show_log_tail "$log"
        die "$what failed; full log: $log"
    fi
}

# provision_chromium: apt-get install chromium when $CHROMIUM_BIN is missing (needs root).
provision_chromium() {
    provision_debian_tool "$CHROMIUM_BIN" chromium
}

# provision_debian_tool BIN PACKAGE: apt-get install PACKAGE when BIN is missing (needs root).
provision_debian_tool() {
    local bin=$1 package=$2
    local log="$LOG_DIR/apt-$package.log"
    if [[ -x $bin ]]; then
        info "$package: present ($bin)"
        return 0
    fi
    if [[ $(id -u) -ne 0 ]]; then
        die "$package: $bin is missing; install it with: sudo apt-get update && sudo apt-get install -y $package"
    fi
    command -v apt-get >/dev/null 2>&1 ||
        die "$package: $bin is missing and apt-get is not available; install $package"
    mkdir -p "$LOG_DIR"
    info "$package: installing with apt-get (log: ${log#"$REPO_ROOT"/})"
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package"; } >"$log" 2>&1; then
        show_log_tail "$log"
        die "apt-get install $package failed; full log: $log"
    fi
    [[ -x $bin ]] || die "$package: installed, but $bin still does not exist (see $log)"
}

# provision_all: Python venv, node_modules, Chromium, and pdftotext (the integration tests
# read the report PDFs with it).
provision_all() {
    provision_python
    provision_node
    provision_chromium
    provision_debian_tool /usr/bin/pdftotext poppler-utils
}
