#!/usr/bin/env bash
# The VipProxy library on its own (TPROXY steering + VipProxy in a bench JVM, no daemon) side by side
# with going straight to the task; bench/vip-vs-direct.sh measures a VIP a real daemon wired.
#
#   sudo bench/vip-library-vs-direct.sh [--seconds S] [--parallel P] [--loops N] [--no-result]
#   (repo root, after the build: mvn -B -q -o -pl bench -am -DskipTests package)
#   defaults: S=10 s per measurement, P=2 (a second run with -P P; 0 skips it), N=2 event loops
#
# Topology, all in namespaces this script makes (the host's own interfaces are never touched):
#   ft-vip-R-net     the overlay network's namespace: br0 with the LB address 10.0.0.2/24,
#                    bridge-nf off, the VIP 10.0.0.100 steered by TproxyVips to VipProxy
#   ft-vip-R-task    eth0 10.0.0.11/24 on br0, `iperf3 -s`
#   ft-vip-R-client  eth0 10.0.0.20/24 on br0, the iperf3 client
# Paths, iperf3 client -> task, one after the other:
#   direct  client -> 10.0.0.11:5201 (bridged in the network namespace, no proxy)
#   vip     client -> 10.0.0.100:5201 -> TPROXY -> VipProxy (JVM, loops in ft-vip-R-net)
#           -> from 10.0.0.2 -> 10.0.0.11:5201
# Each path: 3 s unmeasured, then 1 stream S s, then -P P S s. Prints Gbit/s and vip/direct, the
# JVM's CPU, and writes bench/results/vip-library-vs-direct-<date>.md. Cleans up on exit, failure or Ctrl-C.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
bench=vip-library-vs-direct
source "$root/bench/lib.sh"
secs=10 par=2 loops=2 write_result=1
while (($#)); do
  case "$1" in
    --seconds) secs="${2:?}"; shift 2 ;;
    --parallel) par="${2:?}"; shift 2 ;;
    --loops) loops="${2:?}"; shift 2 ;;
    --no-result) write_result=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) unknown_argument "$1" ;;
  esac
done

require_root "it creates network namespaces, veths and a bridge"
require_tools "scripts/install-deps.sh installs it" iperf3 jq ip nft java
jars=("$root"/bench/target/flotilla-bench-*.jar)
[[ -f "${jars[0]}" && -d "$root/bench/target/lib" ]] || die "not built: cd $root && mvn -B -q -o -pl bench -am -DskipTests package"

rand=$(random_tag)
pre="ft-vip-$rand"
net="$pre-net" task="$pre-task" client="$pre-client"
lb=10.0.0.2 task_ip=10.0.0.11 client_ip=10.0.0.20 vip=10.0.0.100
work="$(mktemp -d /var/tmp/ft-vip.XXXXXX)"
jvm_pid="" server_pid=""

stop_jvm() { # SIGTERM: VipBench closes the proxy, removes the steering and prints its counters
  stop_pid "$jvm_pid" VipBench
  jvm_pid=""
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  [[ -n "$server_pid" ]] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  stop_jvm
  for ns in $(ip netns list | awk '{print $1}' | grep -E "^$pre-"); do ip netns del "$ns"; done
  if ((rc != 0)) && [[ -f "$work/vip.log" ]]; then echo "--- last lines of VipBench's log ---" >&2; tail -n 20 "$work/vip.log" >&2; fi
  rm -rf "$work"
  exit "$rc"
}
on_exit cleanup

echo "== topology: $pre-*, 10.0.0.0/24 on br0 of $net"
for ns in "$net" "$task" "$client"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip -n "$net" link add br0 type bridge
ip -n "$net" addr add "$lb/24" dev br0
ip -n "$net" link set br0 up
plug() { # plug NS IP LINK
  ip -n "$net" link add "$3" type veth peer name eth0 netns "$1"
  ip -n "$net" link set "$3" master br0 up
  ip -n "$1" addr add "$2/24" dev eth0; ip -n "$1" link set eth0 up
}
plug "$task" "$task_ip" vt0
plug "$client" "$client_ip" vc0
ip netns exec "$task" iperf3 -s >"$work/iperf-server.log" 2>&1 </dev/null &
server_pid=$!

echo "== VipBench: VIP $vip -> $task_ip, $loops event loop(s) in $net"
java -Dio.netty.leakDetectionLevel=disabled -cp "${jars[0]}:$root/bench/target/lib/*" dev.flotilla.bench.VipBench \
  net="$net" lb="$lb" vip="$vip" backends="$task_ip" loops="$loops" >"$work/vip.log" 2>&1 </dev/null &
jvm_pid=$!
wait_for 30 grep -q '^READY' "$work/vip.log" || die "VipBench did not get ready in 30 s"

thread_ticks() { for t in /proc/"$1"/task/*; do
  printf '%s %s %s\n' "${t##*/}" "$(tr ' ' _ <"$t/comm")" "$(awk '{sub(/^.*\) /, ""); print $12 + $13}' "$t/stat")"; done; }
iperf_run() { # iperf_run TARGET STREAMS: prints "Gbit/s|retransmits|jvm-cpu"
  local target=$1 streams=$2 t0 t1
  thread_ticks "$jvm_pid" >"$work/ticks.before"; t0=$(date +%s.%N)
  ip netns exec "$client" iperf3 -c "$target" -t "$secs" -P "$streams" -J >"$work/iperf.json" \
    || die "iperf3 to $target -P $streams failed: $(jq -r '.error // empty' "$work/iperf.json" 2>/dev/null)"
  t1=$(date +%s.%N); thread_ticks "$jvm_pid" >"$work/ticks.after"
  local jvm
  jvm=$(awk -v s="$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" -v hz="$(getconf CLK_TCK)" '
    NR == FNR { before[$1] = $3; next }
    { d = ($3 - before[$1]) / hz / s * 100; total += d }
    END { printf "%.0f%%", total }' "$work/ticks.before" "$work/ticks.after")
  printf '%s|%s|%s\n' "$(jq -r '.end.sum_received.bits_per_second / 1e9 | . * 100 | round / 100' "$work/iperf.json")" \
    "$(jq -r '.end.sum_sent.retransmits' "$work/iperf.json")" "$jvm"
}
declare -A result
for p in direct vip; do
  target=$task_ip; [[ $p == vip ]] && target=$vip
  wait_for 10 ip netns exec "$client" iperf3 -c "$target" -t 1 || die "$p: no iperf3 answer from $target"
  ip netns exec "$client" iperf3 -c "$target" -t 3 >/dev/null || die "$p: warm-up iperf3 failed"
  for streams in 1 $( ((par > 1)) && echo "$par"); do
    result[$p.$streams]=$(iperf_run "$target" "$streams")
    printf '   %-6s -P %s  %s Gbit/s  (retransmits %s; JVM CPU %s)\n' "$p" "$streams" \
      $(cut -d'|' -f1 <<<"${result[$p.$streams]}") "$(cut -d'|' -f2 <<<"${result[$p.$streams]}")" \
      "$(cut -d'|' -f3 <<<"${result[$p.$streams]}")"
  done
done
stop_jvm
grep '^COUNTERS' "$work/vip.log" | sed 's/^/   /' || true

gbit() { cut -d'|' -f1 <<<"${result[$1]:--}"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "-" && b != "-" && b > 0) printf "%.2f", a / b; else print "n/a" }'; }
stamp=$(date +%Y-%m-%d-%H%M%S)
{
  echo "# Service VIP (TPROXY + VipProxy) vs direct, $(date '+%Y-%m-%d %H:%M')"
  echo
  echo "$(nproc) cores, $(uname -r), $(java -version 2>&1 | head -n 1), commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')."
  echo "iperf3 client -> task on one bridge, ${secs} s per figure after 3 s unmeasured; VipProxy on $loops event loop(s), leak detection off."
  echo "JVM CPU: 100% = one core, summed over the JVM's threads."
  echo
  echo "| path | streams | Gbit/s | retransmits | JVM CPU |"
  echo "|---|---|---|---|---|"
  for p in direct vip; do for s in 1 $( ((par > 1)) && echo "$par"); do
    echo "| $p | $s | $(gbit "$p.$s") | $(cut -d'|' -f2 <<<"${result[$p.$s]}") | $( [[ $p == vip ]] && cut -d'|' -f3 <<<"${result[$p.$s]}" || echo -) |"
  done; done
  echo
  echo "| ratio vip / direct | 1 stream |$( ((par > 1)) && echo " $par streams |")"
  echo "|---|---|$( ((par > 1)) && echo "---|")"
  echo "| | $(ratio "$(gbit vip.1)" "$(gbit direct.1)") |$( ((par > 1)) && echo " $(ratio "$(gbit vip.$par)" "$(gbit direct.$par)") |")"
} >"$work/result.md"
echo
cat "$work/result.md"
if ((write_result)); then
  mkdir -p "$root/bench/results"
  cp "$work/result.md" "$root/bench/results/vip-library-vs-direct-$stamp.md"
  echo; echo "written to bench/results/vip-library-vs-direct-$stamp.md"
fi
