#!/usr/bin/env bash
# `make dev`: the local AWS (moto) on 127.0.0.1:4566, the `local-*` stack from
# infra/template.yaml, and the fleet's binaries, logging to this terminal.
# Ctrl-C stops everything this script started, and nothing else.
#
# Expects `make venv` and `cargo build --workspace --bins` to have run (make does both).
set -euo pipefail

cd "$(dirname "$0")/.."

MOTO_HOST=127.0.0.1
MOTO_PORT=4566
ENDPOINT="http://$MOTO_HOST:$MOTO_PORT"
API_ADDR=127.0.0.1:3000
MOTO_STARTUP_SECONDS=15
# Local runs retry a failed message after 5 s instead of minutes (structure unchanged).
VISIBILITY_TIMEOUT=5
SERVICES=(order-api email-worker audit-worker outbox-relay)
LOG_DIR=.local
PYTHON=.venv/bin/python
TARGET=${CARGO_TARGET_DIR:-target}/debug

say() { printf '\033[1mdev:\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31mdev: error:\033[0m %s\n' "$*" >&2; exit 1; }

[[ -x .venv/bin/moto_server ]] || die "moto is not installed: run \`make venv\` (\`make dev\` does it)"
for bin in orderctl "${SERVICES[@]}"; do
    [[ -x "$TARGET/$bin" ]] || die "$TARGET/$bin is not built: run \`cargo build --workspace --bins\` (\`make dev\` does it)"
done

# Every process below talks to moto, never to a real account.
export ENVIRONMENT=local AWS_ENDPOINT_URL="$ENDPOINT" AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_EC2_METADATA_DISABLED=true
unset AWS_SESSION_TOKEN AWS_PROFILE
export LISTEN_ADDR="$API_ADDR"
export RUST_LOG="${RUST_LOG:-info}"
# Trying the API by hand posts many orders for one address: let them all be mailed.
export EMAIL_LIMIT_PER_HOUR="${EMAIL_LIMIT_PER_HOUR:-100}"
# A failed record comes back in seconds, not the minutes-to-hours of the
# deployed backoff (the same code; only the times are shortened, as the
# visibility timeout is).
export RETRY_BASE_SECONDS="${RETRY_BASE_SECONDS:-1}" RETRY_MAX_SECONDS="${RETRY_MAX_SECONDS:-8}"

# name → pid of what this script started; cleanup stops exactly these.
declare -A PIDS=()

cleanup() {
    trap - INT TERM EXIT
    ((${#PIDS[@]})) || exit "${EXIT_STATUS:-0}"
    say "stopping ${!PIDS[*]}"
    for name in "${!PIDS[@]}"; do kill -TERM "${PIDS[$name]}" 2>/dev/null || true; done
    for _ in $(seq 50); do
        local alive=0
        for name in "${!PIDS[@]}"; do kill -0 "${PIDS[$name]}" 2>/dev/null && alive=1; done
        ((alive)) || break
        sleep 0.1
    done
    for name in "${!PIDS[@]}"; do kill -KILL "${PIDS[$name]}" 2>/dev/null || true; done
    wait 2>/dev/null || true
    exit "${EXIT_STATUS:-0}"
}
# Ctrl-C is how `make dev` is meant to end: not an error.
trap 'EXIT_STATUS=0; cleanup' INT
trap 'EXIT_STATUS=143; cleanup' TERM
trap 'EXIT_STATUS=${EXIT_STATUS:-$?}; cleanup' EXIT

# Is something listening on host:port? (bash's /dev/tcp: no extra tools needed.)
listening() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# Does $ENDPOINT answer as moto does?
is_moto() {
    "$PYTHON" - "$ENDPOINT" <<'EOF' 2>/dev/null
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1] + "/moto-api/data.json", timeout=2) as r:
    sys.exit(0 if r.status == 200 else 1)
EOF
}

# Runs a service in the background, each of its lines prefixed with its name.
start() {
    local name=$1; shift
    # sed ignores Ctrl-C, so a service's last lines (its shutdown) still get through.
    "$@" > >(trap '' INT; exec sed -u "s/^/$(printf '%-12s' "$name")| /") 2>&1 &
    PIDS[$name]=$!
}

# ---------------------------------------------------------------- moto
# Checked first, so a second `make dev` fails before touching anything.
listening "${API_ADDR%:*}" "${API_ADDR#*:}" \
    && die "$API_ADDR is already in use (another \`make dev\`?); stop it and try again"
mkdir -p "$LOG_DIR"
if listening "$MOTO_HOST" "$MOTO_PORT"; then
    is_moto || die "$MOTO_HOST:$MOTO_PORT is taken by something that is not moto; stop it and run \`make dev\` again"
    say "moto is already running on $ENDPOINT: using it (it will not be stopped on exit)"
else
    : >"$LOG_DIR/moto.log"
    "$PYTHON" scripts/moto_server.py -H "$MOTO_HOST" -p "$MOTO_PORT" >>"$LOG_DIR/moto.log" 2>&1 &
    PIDS[moto]=$!
    say "starting moto on $ENDPOINT (its log: $LOG_DIR/moto.log)"
    deadline=$((SECONDS + MOTO_STARTUP_SECONDS))
    until is_moto; do
        if ! kill -0 "${PIDS[moto]}" 2>/dev/null; then
            unset 'PIDS[moto]'
            tail -n 15 "$LOG_DIR/moto.log" >&2 || true
            die "moto exited during start-up (log above, in $LOG_DIR/moto.log)"
        fi
        ((SECONDS < deadline)) || die "moto did not answer on $ENDPOINT within ${MOTO_STARTUP_SECONDS}s (see $LOG_DIR/moto.log)"
        sleep 0.25
    done
    say "moto is up"
fi

# ---------------------------------------------------------------- the stack
"$TARGET/orderctl" local up --env local --visibility-timeout "$VISIBILITY_TIMEOUT" \
    || die "creating the local stack failed (above)"

# ---------------------------------------------------------------- services
for service in "${SERVICES[@]}"; do
    start "$service" "$TARGET/$service"
done
say "order-api: http://$API_ADDR/order   ·   Ctrl-C stops everything"

# A service that fails stops the whole set: a half-running pipeline misleads.
# One that exits cleanly is reported and the rest keep running.
while true; do
    for name in "${!PIDS[@]}"; do
        pid=${PIDS[$name]}
        kill -0 "$pid" 2>/dev/null && continue
        status=0
        wait "$pid" || status=$?
        unset "PIDS[$name]"
        if [[ $name == moto ]]; then
            EXIT_STATUS=1
            die "moto stopped (see $LOG_DIR/moto.log); nothing works without it"
        elif ((status != 0)); then
            EXIT_STATUS=$status
            die "$name exited with status $status"
        fi
        say "$name exited (status 0)"
    done
    sleep 1
done
