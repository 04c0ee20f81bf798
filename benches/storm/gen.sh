#!/bin/sh
# The connect storm script (docs/performance.md): N nonblocking connects to @accept, then a
# `wait sN connected` for each.   benches/storm/gen.sh 5000 > /tmp/storm.lab
n=${1:-5000}
awk -v n="$n" 'BEGIN {
  print "# connect storm: " n " nonblocking connects to @accept, then a wait for each"
  for (i = 0; i < n; i++) printf "socket tcp as s%d\nioctlsocket s%d FIONBIO 1\nconnect s%d @accept\n", i, i, i
  for (i = 0; i < n; i++) printf "wait s%d connected\n", i
}'
