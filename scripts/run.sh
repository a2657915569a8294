#!/usr/bin/env bash
# `make run`: migrate, generate the demo sources if absent, load them, then run the scheduler and the
# live simulator in the background and serve the cockpit in the foreground. Stopping the server
# (Ctrl-C) stops the background processes too.
set -euo pipefail
cd "$(dirname "$0")/.."
cockpit=(.venv/bin/python -m cockpit)

"${cockpit[@]}" config check >/dev/null
"${cockpit[@]}" db upgrade
"${cockpit[@]}" demo-sources
"${cockpit[@]}" etl || echo "some sources failed to load (see above); the scheduler retries them" >&2
# the field staff the simulator plays and 8 weeks of work-order history (demo mode only; once)
"${cockpit[@]}" demo-orders || echo "no demo work orders (see above)" >&2

pids=()
stop_background() {
    trap - EXIT INT TERM
    if ((${#pids[@]})); then
        kill -TERM "${pids[@]}" 2>/dev/null || true
        wait "${pids[@]}" 2>/dev/null || true  # the scheduler commits its current batch first
    fi
}
trap stop_background EXIT
trap 'exit 130' INT TERM

"${cockpit[@]}" scheduler &
pids+=($!)
"${cockpit[@]}" simulate &
pids+=($!)

# in the background too, so a TERM sent to this script alone is handled at once (bash runs traps
# only between foreground commands), and waited for
"${cockpit[@]}" serve &
pids+=($!)
wait "${pids[-1]}"
