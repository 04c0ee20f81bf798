#!/bin/bash
# The connect storm, whole process, socklab against the C anchor (docs/performance.md).
#
#   benches/storm/compare.sh [N] [PAIRS] [-- socklab run arguments; default --personality linux]
#   benches/storm/compare.sh 5000 7 -- --compare
#
# Builds the anchor (cc -O2) and the script, then runs the two programs alternately PAIRS times
# (anchor, socklab, anchor, socklab, ...) so that both see the same load, and prints each pair's
# wall and CPU times, the medians, the ratio of the medians and the median of the per-pair
# ratios, with the load average before and after. Uses target/release/socklab (build it first;
# SOCKLAB_BIN=path for another binary).
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-5000}
pairs=${2:-7}
shift $(( $# >= 2 ? 2 : $# ))
[ "${1:-}" = "--" ] && shift
# The socklab arguments after the script: --personality linux unless others are given.
extra=("$@")
[ ${#extra[@]} -eq 0 ] && extra=(--personality linux)
bin=${SOCKLAB_BIN:-target/release/socklab}
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 2; }
tmp=${TMPDIR:-/tmp}/socklab-storm.$$
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
cc -O2 -o "$tmp/anchor" benches/storm/anchor.c
benches/storm/gen.sh "$n" > "$tmp/storm.lab"
ulimit -n "$(ulimit -Hn)"

# One run: "wall_ms cpu_ms" (wall from the shell's clock, as /usr/bin/time has 10 ms steps;
# CPU = user + sys of the process and its threads, from /usr/bin/time).
one() {
  local s e
  s=$(date +%s%N)
  /usr/bin/time -f '%U %S' -o "$tmp/cpu" "$@" > /dev/null 2> "$tmp/err" \
    || { echo "failed: $*" >&2; tail -3 "$tmp/err" >&2; exit 1; }
  e=$(date +%s%N)
  awk -v w=$(( (e - s) / 1000000 )) '{ printf "%d %d\n", w, ($1 + $2) * 1000 }' "$tmp/cpu"
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "pair  anchor_wall_ms  socklab_wall_ms  wall_ratio  anchor_cpu_ms  socklab_cpu_ms"
a_all=(); s_all=(); r_all=(); ac_all=(); sc_all=()
for i in $(seq 1 "$pairs"); do
  read -r a ac < <(one "$tmp/anchor" "$n")
  read -r s sc < <(one "$bin" run "$tmp/storm.lab" --net live "${extra[@]}")
  r=$(awk -v a="$a" -v s="$s" 'BEGIN { printf "%.2f", s / a }')
  echo "$i  $a  $s  $r  $ac  $sc"
  a_all+=("$a"); s_all+=("$s"); r_all+=("$r"); ac_all+=("$ac"); sc_all+=("$sc")
done
med() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ma=$(med "${a_all[@]}"); ms=$(med "${s_all[@]}"); mr=$(med "${r_all[@]}")
mac=$(med "${ac_all[@]}"); msc=$(med "${sc_all[@]}")
echo "median wall: anchor ${ma} ms, socklab ${ms} ms, ratio of medians $(awk -v a="$ma" -v s="$ms" 'BEGIN { printf "%.2f", s / a }'), median pair ratio ${mr}"
echo "median CPU: anchor ${mac} ms, socklab ${msc} ms, ratio $(awk -v a="$mac" -v s="$msc" 'BEGIN { printf "%.2f", s / (a > 0 ? a : 1) }')"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
