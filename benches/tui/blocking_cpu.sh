#!/bin/bash
# CPU the TUI spends while a blocking call waits (issue 13, item 3; docs/performance.md).
#
#   benches/tui/blocking_cpu.sh [SECONDS]
#
# Starts target/release/socklab (live network, its targets) in a tmux server of its own, types
# `:socket tcp as s` and `:connect s @pending` (a blocking connect whose SYNs are dropped: it
# waits, on a worker thread, until the live block limit of 10 s), and reads the process's
# CPU time (/proc/PID/task/*/schedstat, all threads, in nanoseconds) over SECONDS (default 5) of
# that wait; then the same over SECONDS with the TUI idle (no call in flight). Prints both in
# milliseconds with the load average. SOCKLAB_BIN=path for another binary.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-5}
bin=$(realpath "${SOCKLAB_BIN:-target/release/socklab}")
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 2; }
server=perf-blocking-cpu-$$
trap 'tmux -L "$server" kill-server 2>/dev/null || true' EXIT
tmux -L "$server" new-session -d -x 120 -y 40 "$bin"
sleep 2
pid=$(tmux -L "$server" display -p '#{pane_pid}')
# CPU time of every thread in nanoseconds (schedstat; /proc/PID/stat counts in 10 ms ticks).
cpu_ms() { cat /proc/"$pid"/task/*/schedstat | awk '{ ns += $1 } END { printf "%.3f", ns / 1e6 }'; }
measure() {
  local a b
  a=$(cpu_ms); sleep "$secs"; b=$(cpu_ms)
  awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", b - a }'
}
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
idle=$(measure)
type_line() {
  tmux -L "$server" send-keys ":"
  sleep 0.3
  tmux -L "$server" send-keys "$1" Enter
  sleep 0.5
}
type_line "socket tcp as s"
type_line "connect s @pending"
tmux -L "$server" capture-pane -p | grep -q "waiting for the kernel" \
  || { echo "the connect is not waiting: see the screen below" >&2; tmux -L "$server" capture-pane -p >&2; exit 1; }
blocked=$(measure)
tmux -L "$server" capture-pane -p | grep -q "waiting for the kernel" \
  || echo "warning: the connect returned before the end of the measurement" >&2
echo "idle ${secs} s: ${idle} ms CPU; blocking connect waiting ${secs} s: ${blocked} ms CPU"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
