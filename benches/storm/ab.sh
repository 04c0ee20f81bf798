#!/bin/bash
# Two socklab builds and the anchor, interleaved, on the connect storm (docs/performance.md).
#
#   benches/storm/ab.sh OLD_BIN NEW_BIN [N] [RUNS] [-- socklab run arguments; default --personality linux]
#   benches/storm/ab.sh /tmp/socklab-main target/release/socklab 5000 10 -- --compare
#
# Runs anchor, OLD, NEW, anchor, OLD, NEW, ... RUNS times (so that all three see the same load)
# and prints, for each, the mean user and system time (all threads, /usr/bin/time) and the
# median wall time, with the load average before and after. On a shared machine the wall time
# follows the load; the user time of the two builds, measured side by side, is the steadier
# figure.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -ge 2 ] || { sed -n '4,5p' "$0" >&2; exit 2; }
old=$1
new=$2
shift 2
n=${1:-5000}
runs=${2:-10}
shift $(( $# >= 2 ? 2 : $# ))
[ "${1:-}" = "--" ] && shift
extra=("$@")
[ ${#extra[@]} -eq 0 ] && extra=(--personality linux)
for b in "$old" "$new"; do [ -x "$b" ] || { echo "not an executable: $b" >&2; exit 2; }; done
tmp=${TMPDIR:-/tmp}/socklab-ab.$$
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
cc -O2 -o "$tmp/anchor" benches/storm/anchor.c
benches/storm/gen.sh "$n" > "$tmp/storm.lab"
ulimit -n "$(ulimit -Hn)"

names=(anchor old new)
declare -a user sys wall
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for _ in $(seq 1 "$runs"); do
  for k in 0 1 2; do
    case $k in
      0) cmd=("$tmp/anchor" "$n") ;;
      1) cmd=("$old" run "$tmp/storm.lab" --net live "${extra[@]}") ;;
      2) cmd=("$new" run "$tmp/storm.lab" --net live "${extra[@]}") ;;
    esac
    s=$(date +%s%N)
    /usr/bin/time -f '%U %S' -o "$tmp/cpu" "${cmd[@]}" > /dev/null 2> "$tmp/err" \
      || { echo "failed: ${cmd[*]}" >&2; tail -3 "$tmp/err" >&2; exit 1; }
    e=$(date +%s%N)
    read -r u sy < "$tmp/cpu"
    user[k]="${user[k]:-} $u"; sys[k]="${sys[k]:-} $sy"; wall[k]="${wall[k]:-} $(( (e - s) / 1000000 ))"
  done
done
mean_ms() { printf '%s\n' $1 | awk '{ s += $1 } END { printf "%.0f", s / NR * 1000 }'; }
median() { printf '%s\n' $1 | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
for k in 0 1 2; do
  echo "${names[k]}: user $(mean_ms "${user[k]}") ms, sys $(mean_ms "${sys[k]}") ms (means), wall median $(median "${wall[k]}") ms"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
