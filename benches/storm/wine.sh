#!/bin/bash
# The connect storm judged by the Winsock agent under Wine (docs/performance.md, issue 13 item 4).
#
#   benches/storm/wine.sh [N] [RUNS]        # default N=250 (the agent holds up to 8,192 sockets)
#
# Builds the agent (mingw) and the anchor, writes the storm script (benches/storm/gen.sh N) and
# a 20,001-call script (ioctlsocket and getsockopt on one socket), then runs RUNS times (default
# 3), one after the other: the anchor; socklab --personality linux (the kernel alone); socklab
# --personality windows --winsock-judge (the agent under Wine judges the windows column, the
# kernel still makes every call); the one-call script under Wine (Wine's and the agent's start);
# the 20,001-call script under Wine. Prints wall times in ms and the load average.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-250}
runs=${2:-3}
bin=${SOCKLAB_BIN:-target/release/socklab}
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 2; }
tmp=${TMPDIR:-/tmp}/socklab-storm-wine.$$
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
export WINEDEBUG=-all WINEPREFIX=${WINEPREFIX:-$PWD/target/wine/prefix}
cc -O2 -o "$tmp/anchor" benches/storm/anchor.c
x86_64-w64-mingw32-gcc -O2 -Wall -Werror -o "$tmp/agent.exe" agent/socklab-agent.c -lws2_32 -lmswsock
benches/storm/gen.sh "$n" > "$tmp/storm.lab"
echo 'socket tcp as s' > "$tmp/one.lab"
awk 'BEGIN { print "socket tcp as s"; for (i = 0; i < 20000; i++) print (i % 2 ? "getsockopt s SO_ERROR" : "ioctlsocket s FIONBIO 1") }' > "$tmp/calls.lab"
judge=(--winsock-judge "wine $tmp/agent.exe")
ms() {
  local s e
  s=$(date +%s%N)
  "$@" > "$tmp/out" 2> "$tmp/err" || { echo "failed ($?): $*" >&2; tail -3 "$tmp/err" >&2; exit 1; }
  e=$(date +%s%N)
  echo $(( (e - s) / 1000000 ))
}
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "run  anchor  socklab_linux  socklab_wine_storm  wine_1_call  wine_20001_calls  (ms)"
for i in $(seq 1 "$runs"); do
  a=$(ms "$tmp/anchor" "$n")
  l=$(ms "$bin" run "$tmp/storm.lab" --net live --personality linux)
  w=$(ms "$bin" run "$tmp/storm.lab" --net live --personality windows "${judge[@]}")
  grep -q "models disagreed 0 times; 0 calls were not made" "$tmp/out" \
    || { echo "the Wine storm was not judged in full:" >&2; tail -1 "$tmp/out" >&2; exit 1; }
  o=$(ms "$bin" run "$tmp/one.lab" --net live --personality windows "${judge[@]}")
  c=$(ms "$bin" run "$tmp/calls.lab" --net live --personality windows "${judge[@]}")
  echo "$i  $a  $l  $w  $o  $c"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
