#!/usr/bin/env bash
# shellcheck shell=bash
#
# Prerequisite checks for the send-review local tool chain.
#
#   check_prereqs    checks Rust (cargo, and a C linker), Java 17+, Python 3.9+ with
#                    venv, Node 18+ and npm (and curl); prints every problem found with the
#                    command that fixes it, then dies once (returns 0 if all is well).
#   check_chromium   dies with the install command unless $CHROMIUM_BIN
#                    (/usr/bin/chromium) exists.
#
# Helpers (also usable on their own; each prints a number or fails):
#   java_major_from_version_output TEXT   "17.0.15" -> 17, "1.8.0_301" -> 8, "21-ea" -> 21
#   version_ge HAVE WANT                  true if dotted version HAVE >= WANT

# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# Minimum versions. Rust: the workspace uses edition 2024, stable since 1.85.
MIN_RUST_VERSION="1.85"
MIN_JAVA_MAJOR=17
MIN_PYTHON_VERSION="3.9"
MIN_NODE_MAJOR=18
# Problems collected by check_prereqs (one entry per problem).
_SR_PROBLEMS=()

# "sudo " when not root, so the printed commands can be pasted as they are.
_sr_sudo() {
    if [[ $(id -u) -eq 0 ]]; then
        printf ''
    else
        printf 'sudo '
    fi
}

# version_ge HAVE WANT: numeric comparison of dotted versions ("1.95.0" >= "1.85").
version_ge() {
    local have=$1 want=$2 i h w
    local -a hv wv
    IFS=. read -r -a hv <<<"$have"
    IFS=. read -r -a wv <<<"$want"
    for ((i = 0; i < ${#wv[@]}; i++)); do
        h=${hv[i]:-0}
        w=${wv[i]:-0}
        h=${h%%[!0-9]*}
        w=${w%%[!0-9]*}
        h=$((10#${h:-0}))
        w=$((10#${w:-0}))
        if ((h > w)); then return 0; fi
        if ((h < w)); then return 1; fi
    done
    return 0
}

# java_major_from_version_output TEXT: the major version from `java -version` output.
# Handles 'version "17.0.15"', 'version "21" 2023-09-19', 'version "21-ea"' and the
# pre-9 scheme 'version "1.8.0_301"' (-> 8).
java_major_from_version_output() {
    local ver
    ver=$(sed -n 's/.*version "\([^"]*\)".*/\1/p' <<<"$1" | head -n 1)
    [[ -n $ver ]] || return 1
    if [[ $ver == 1.* ]]; then
        ver=${ver#1.}
    fi
    ver=${ver%%[!0-9]*}
    [[ -n $ver ]] || return 1
    printf '%s\n' "$((10#$ver))"
}

_sr_check_rust() {
    local sudo ver
    sudo=$(_sr_sudo)
    if ! command -v cargo >/dev/null 2>&1; then
        _SR_PROBLEMS+=("Rust (cargo) not found. Install it with rustup (https://rustup.rs):
      curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y
      . \"\$HOME/.cargo/env\"    # or open a new shell
    (Debian/Ubuntu: ${sudo}apt-get install -y curl build-essential first; the distro
    'cargo' package is usually too old for this workspace, which needs Rust ${MIN_RUST_VERSION}+.)")
    else
        ver=$(cargo --version 2>/dev/null | awk '{print $2}') || ver=""
        if [[ -z $ver ]]; then
            _SR_PROBLEMS+=("'cargo --version' failed ($(command -v cargo)). Reinstall Rust with rustup: https://rustup.rs")
        elif ! version_ge "$ver" "$MIN_RUST_VERSION"; then
            _SR_PROBLEMS+=("cargo $ver is too old: the workspace uses edition 2024, which needs Rust ${MIN_RUST_VERSION}+.
      rustup update stable    # if Rust came from rustup
    otherwise install Rust with rustup (https://rustup.rs) and make sure ~/.cargo/bin comes first in PATH.")
        fi
    fi
    # rustc links through the system C compiler on Linux.
    if ! command -v cc >/dev/null 2>&1; then
        _SR_PROBLEMS+=("C compiler/linker 'cc' not found (rustc needs it to link).
      Debian/Ubuntu: ${sudo}apt-get install -y build-essential
      elsewhere: install gcc or clang and make sure 'cc' is on PATH.")
    fi
}

_sr_check_java() {
    local sudo out major
    sudo=$(_sr_sudo)
    local hint="      Debian/Ubuntu: ${sudo}apt-get install -y openjdk-17-jdk-headless (a JDK: DynamoDB Local then listens on 127.0.0.1 only)
      elsewhere: install any Java ${MIN_JAVA_MAJOR}+ runtime (e.g. Eclipse Temurin, https://adoptium.net) and put 'java' on PATH."
    if ! command -v java >/dev/null 2>&1; then
        _SR_PROBLEMS+=("Java ${MIN_JAVA_MAJOR}+ not found (needed to run DynamoDB Local).
$hint")
        return 0
    fi
    out=$(java -version 2>&1) || true
    if ! major=$(java_major_from_version_output "$out"); then
        _SR_PROBLEMS+=("could not read the Java version from 'java -version' ($(command -v java)):
      $(head -n 1 <<<"$out")
    Java ${MIN_JAVA_MAJOR}+ is needed to run DynamoDB Local.
$hint")
        return 0
    fi
    if ((major < MIN_JAVA_MAJOR)); then
        _SR_PROBLEMS+=("Java $major found ($(command -v java)), but DynamoDB Local needs Java ${MIN_JAVA_MAJOR}+.
$hint
      if a newer Java is already installed: ${sudo}update-alternatives --config java")
    fi
}

_sr_check_python() {
    local sudo ver
    sudo=$(_sr_sudo)
    local hint="      Debian/Ubuntu: ${sudo}apt-get install -y python3 python3-venv
      elsewhere: install Python ${MIN_PYTHON_VERSION}+ (https://www.python.org/downloads/) including its venv module."
    if ! command -v python3 >/dev/null 2>&1; then
        _SR_PROBLEMS+=("python3 not found (Python ${MIN_PYTHON_VERSION}+ is needed for moto and cfn-lint).
$hint")
        return 0
    fi
    ver=$(python3 -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null) || ver=""
    if [[ -z $ver ]]; then
        _SR_PROBLEMS+=("'python3' ($(command -v python3)) does not run.
$hint")
        return 0
    fi
    if ! version_ge "$ver" "$MIN_PYTHON_VERSION"; then
        _SR_PROBLEMS+=("Python $ver found ($(command -v python3)), but ${MIN_PYTHON_VERSION}+ is needed.
$hint")
        return 0
    fi
    # On Debian/Ubuntu 'import venv' works without python3-venv, but 'python3 -m venv'
    # then fails because ensurepip is missing: check both.
    if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
        _SR_PROBLEMS+=("Python $ver ($(command -v python3)) lacks the venv/ensurepip modules, so 'python3 -m venv' cannot work.
      Debian/Ubuntu: ${sudo}apt-get install -y python3-venv    (or python${ver%.*}-venv)
      elsewhere: use a Python build that includes venv and ensurepip (python.org installers, pyenv).")
    fi
}

_sr_check_node() {
    local sudo ver major
    sudo=$(_sr_sudo)
    local hint="      Debian/Ubuntu: ${sudo}apt-get install -y nodejs npm    (if that Node is older than ${MIN_NODE_MAJOR}, use NodeSource:
        curl -fsSL https://deb.nodesource.com/setup_22.x | ${sudo}bash - && ${sudo}apt-get install -y nodejs)
      elsewhere: install Node.js 22 LTS from https://nodejs.org (it includes npm)."
    if ! command -v node >/dev/null 2>&1; then
        _SR_PROBLEMS+=("Node.js ${MIN_NODE_MAJOR}+ not found (needed for DynamoDB Local's package and the browser tests).
$hint")
    else
        ver=$(node --version 2>/dev/null) || ver=""
        ver=${ver#v}
        major=${ver%%.*}
        if [[ ! $major =~ ^[0-9]+$ ]]; then
            _SR_PROBLEMS+=("could not read the Node.js version from 'node --version' ($(command -v node)).
$hint")
        elif ((major < MIN_NODE_MAJOR)); then
            _SR_PROBLEMS+=("Node.js $ver found ($(command -v node)), but ${MIN_NODE_MAJOR}+ is needed.
$hint")
        elif ((major < 20)); then
            warn "Node.js $ver: playwright-core (browser tests) declares node >= 20; consider upgrading."
        fi
    fi
    if ! command -v npm >/dev/null 2>&1; then
        _SR_PROBLEMS+=("npm not found.
      Debian/Ubuntu: ${sudo}apt-get install -y npm    (NodeSource's nodejs package already includes npm)
      elsewhere: install Node.js from https://nodejs.org (it includes npm).")
    fi
}

_sr_check_curl() {
    if ! command -v curl >/dev/null 2>&1; then
        _SR_PROBLEMS+=("curl not found (used to wait for the local servers).
      Debian/Ubuntu: $(_sr_sudo)apt-get install -y curl")
    fi
}

# check_prereqs: verify the whole tool chain; report every problem, then die once.
check_prereqs() {
    _SR_PROBLEMS=()
    _sr_check_rust
    _sr_check_java
    _sr_check_python
    _sr_check_node
    _sr_check_curl
    if ((${#_SR_PROBLEMS[@]} > 0)); then
        local p
        printf '[send-review] missing or outdated prerequisites (%d):\n' "${#_SR_PROBLEMS[@]}" >&2
        for p in "${_SR_PROBLEMS[@]}"; do
            printf '  - %s\n' "$p" >&2
        done
        die "install the prerequisites above, then re-run."
    fi
    return 0
}

# check_chromium: the browser tests drive $CHROMIUM_BIN; die with the fix if it is missing.
check_chromium() {
    if [[ ! -x $CHROMIUM_BIN ]]; then
        local sudo
        sudo=$(_sr_sudo)
        die "$CHROMIUM_BIN not found (needed by the browser tests). Debian: ${sudo}apt-get install -y chromium  (Ubuntu ships it only as a snap: ${sudo}snap install chromium, then link it to $CHROMIUM_BIN)"
    fi
    return 0
}
