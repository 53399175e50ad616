#!/usr/bin/env bash
# Flotilla's VTEP side by side with the kernel's VXLAN driver and a plain veth, in one run.
#
#   sudo bench/vtep-vs-kernel.sh [--seconds S] [--lanes N] [--underlay-mtu M] [--parallel P]
#                                [--paths LIST] [--jvm-opts "..."] [--bridge-nf on|off] [--no-result]
#   (repo root, after the build: mvn -B -q -o -pl bench -am -DskipTests package)
#   defaults: S=10 s per measurement, N=1 event loop (UDP socket) per VTEP, M=1500 (task MTU M-50),
#             P=2 (a second iperf3 run with -P P; 0 skips it), LIST=flotilla,kernel,veth,
#             bridge-nf off: net.bridge.bridge-nf-call-{ip,ip6,arp}tables=0 in the network namespaces,
#             as production's fl-net-* namespaces have it (br_netfilter is built in here; with it
#             on, every bridged frame also walks the IP hooks: ~10% of the VTEP threads' CPU)
#
# Topology, all in namespaces this script makes (the host's own interfaces are never touched):
#   ft-vxb-R-a  "node a": ul0 198.18.S.1/24 ==veth== ul0 198.18.S.2/24 in ft-vxb-R-b ("node b")
#   ft-vxb-R-a-net / -b-net   each node's network namespace with br0 (as fl-net-<id> in production)
#   ft-vxb-R-a-task / -b-task  eth0 10.0.0.2/24 and 10.0.0.3/24 (MAC 02:42 + ip, MTU M-50), a veth
#                              on its node's br0; plus d0 10.1.0.2/3 straight between them (the floor)
# Paths, one after the other on the same task namespaces and addresses, iperf3 task-a -> task-b:
#   flotilla  one JVM (dev.flotilla.bench.VtepBench) with two VTEPs, loops in node a and node b,
#             each holding TAP vtep0 in its network namespace on br0; ARP answered by the VTEPs.
#             Then the JVM is stopped, which deletes both TAPs.
#   kernel    vx0 (id 4096 dstport 4789 nolearning) created in each node namespace (its UDP socket
#             stays there) and moved into the network namespace onto br0, as Docker does; a static
#             bridge fdb entry for the remote task's MAC and static neighbours in both tasks.
#   veth      straight over d0: no bridge, no tunnel (the floor; TSO makes it a generous one).
# Each path: 3 s of unmeasured iperf3, then 1 stream S s, then -P P S s. While each runs, the
# JVM's per-thread CPU (like top -H) and the machine's CPU (/proc/stat, 100% = all cores) are
# sampled. Prints a table with Gbit/s, TCP retransmits and flotilla/kernel, and writes
# bench/results/vtep-vs-kernel-<date>.md. Cleans up on exit, failure, Ctrl-C or SIGTERM.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
bench=vtep-vs-kernel
source "$root/bench/lib.sh"
secs=10 lanes=1 ul_mtu=1500 par=2 paths_arg=flotilla,kernel,veth jvm_opts="" write_result=1 bridge_nf=off
while (($#)); do
  case "$1" in
    --seconds) secs="${2:?}"; shift 2 ;;
    --lanes) lanes="${2:?}"; shift 2 ;;
    --underlay-mtu) ul_mtu="${2:?}"; shift 2 ;;
    --parallel) par="${2:?}"; shift 2 ;;
    --paths) paths_arg="${2:?}"; shift 2 ;;
    --jvm-opts) jvm_opts="${2?}"; shift 2 ;;
    --no-result) write_result=0; shift ;;
    --bridge-nf) bridge_nf="${2:?}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) unknown_argument "$1" ;;
  esac
done
IFS=, read -r -a paths <<<"$paths_arg"
task_mtu=$((ul_mtu - 50))
vni=4096

require_root "it creates network namespaces, veths, bridges and VXLAN devices"
require_tools "scripts/install-deps.sh installs it" iperf3 jq ip bridge java busybox
jars=("$root"/bench/target/flotilla-bench-*.jar)
[[ -f "${jars[0]}" && -d "$root/bench/target/lib" ]] || die "not built: cd $root && mvn -B -q -o -pl bench -am -DskipTests package"

rand=$(random_tag)
pre="ft-vxb-$rand"
node_a="$pre-a" node_b="$pre-b" net_a="$pre-a-net" net_b="$pre-b-net" task_a="$pre-a-task" task_b="$pre-b-task"
sub=$((RANDOM % 256))
ul_a="198.18.$sub.1" ul_b="198.18.$sub.2"
ip_a=10.0.0.2 ip_b=10.0.0.3 floor_a=10.1.0.2 floor_b=10.1.0.3
mac_of() { local IFS=.; set -- $1; printf '02:42:%02x:%02x:%02x:%02x' "$1" "$2" "$3" "$4"; }
mac_a=$(mac_of $ip_a) mac_b=$(mac_of $ip_b)
work="$(mktemp -d /var/tmp/ft-vxb.XXXXXX)"
jvm_pid="" server_pid=""

stop_jvm() { # SIGTERM: VtepBench closes both VTEPs (deleting the TAPs) and prints its counters
  stop_pid "$jvm_pid" VtepBench
  jvm_pid=""
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  [[ -n "$server_pid" ]] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  stop_jvm
  for ns in $(ip netns list | awk '{print $1}' | grep -E "^$pre-"); do ip netns del "$ns"; done
  if ((rc != 0)) && [[ -f "$work/vtep.log" ]]; then echo "--- last lines of VtepBench's log ---" >&2; tail -n 20 "$work/vtep.log" >&2; fi
  rm -rf "$work"
  exit "$rc"
}
on_exit cleanup

echo "== topology: $pre-*, underlay 198.18.$sub.0/24 MTU $ul_mtu, tasks MTU $task_mtu"
for ns in "$node_a" "$node_b" "$net_a" "$net_b" "$task_a" "$task_b"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip -n "$node_a" link add ul0 mtu "$ul_mtu" type veth peer name ul0 netns "$node_b" mtu "$ul_mtu"
ip -n "$node_a" addr add "$ul_a/24" dev ul0; ip -n "$node_a" link set ul0 up
ip -n "$node_b" addr add "$ul_b/24" dev ul0; ip -n "$node_b" link set ul0 up
plug_task() { # plug_task NETNS TASKNS IP MAC
  ip -n "$1" link add br0 type bridge; ip -n "$1" link set br0 up
  if [[ $bridge_nf == off ]]; then
    for t in iptables ip6tables arptables; do ip netns exec "$1" sysctl -qw "net.bridge.bridge-nf-call-$t=0"; done
  fi
  ip -n "$1" link add vt0 mtu "$task_mtu" type veth peer name eth0 netns "$2" mtu "$task_mtu"
  ip -n "$1" link set vt0 master br0 up
  ip -n "$2" link set eth0 address "$4"; ip -n "$2" addr add "$3/24" dev eth0; ip -n "$2" link set eth0 up
}
plug_task "$net_a" "$task_a" "$ip_a" "$mac_a"
plug_task "$net_b" "$task_b" "$ip_b" "$mac_b"
ip -n "$task_a" link add d0 mtu "$task_mtu" type veth peer name d0 netns "$task_b" mtu "$task_mtu"
ip -n "$task_a" addr add "$floor_a/24" dev d0; ip -n "$task_a" link set d0 up
ip -n "$task_b" addr add "$floor_b/24" dev d0; ip -n "$task_b" link set d0 up
ip netns exec "$task_b" iperf3 -s >"$work/iperf-server.log" 2>&1 </dev/null &
server_pid=$!

# Per-thread CPU of a process, like top -H; and the machine's busy share from /proc/stat.
thread_ticks() { for t in /proc/"$1"/task/*; do
  printf '%s %s %s\n' "${t##*/}" "$(tr ' ' _ <"$t/comm")" "$(awk '{sub(/^.*\) /, ""); print $12 + $13}' "$t/stat")"; done; }
stat_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8, $5 + $6}' /proc/stat; }
iperf_run() { # iperf_run LABEL TARGET STREAMS: prints "Gbit/s retransmits jvm-cpu machine-cpu"
  local label=$1 target=$2 streams=$3 t0 t1 busy
  [[ -n "$jvm_pid" ]] && thread_ticks "$jvm_pid" >"$work/ticks.before"
  stat_ticks >"$work/stat.before"; t0=$(date +%s.%N)
  ip netns exec "$task_a" iperf3 -c "$target" -t "$secs" -P "$streams" -J >"$work/iperf.json" \
    || die "iperf3 $label -P $streams failed: $(jq -r '.error // empty' "$work/iperf.json" 2>/dev/null)"
  t1=$(date +%s.%N); stat_ticks >"$work/stat.after"
  busy=$(paste -d' ' "$work/stat.before" "$work/stat.after" | awk '{b = $3 - $1; i = $4 - $2; printf "%.0f%%", 100 * b / (b + i)}')
  local jvm="-"
  if [[ -n "$jvm_pid" ]]; then
    thread_ticks "$jvm_pid" >"$work/ticks.after"
    jvm=$(awk -v s="$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" -v hz="$(getconf CLK_TCK)" '
      NR == FNR { before[$1] = $3; next }
      { d = ($3 - before[$1]) / hz / s * 100; if (d >= 5) { busy = busy sprintf("%s%s %.0f%%", sep, $2, d); sep = ", " } total += d }
      END { printf "%.0f%% (%s)", total, busy }' "$work/ticks.before" "$work/ticks.after")
  fi
  printf '%s|%s|%s|%s\n' "$(jq -r '.end.sum_received.bits_per_second / 1e9 | . * 100 | round / 100' "$work/iperf.json")" \
    "$(jq -r '.end.sum_sent.retransmits' "$work/iperf.json")" "$jvm" "$busy"
}
declare -A result
measure() { # measure PATH TARGET
  local p=$1 target=$2 line
  wait_for 10 ip netns exec "$task_a" busybox ping -c 1 -W 1 "$target" || die "$p: task-a cannot reach $target"
  ip netns exec "$task_a" iperf3 -c "$target" -t 3 >/dev/null || die "$p: warm-up iperf3 failed"
  for streams in 1 $( ((par > 1)) && echo "$par"); do
    line=$(iperf_run "$p" "$target" "$streams")
    result[$p.$streams]=$line
    printf '   %-8s -P %s  %s Gbit/s  (retransmits %s; JVM CPU %s; machine CPU %s)\n' "$p" "$streams" $(tr '|' ' ' <<<"${line%%|*}") \
      "$(cut -d'|' -f2 <<<"$line")" "$(cut -d'|' -f3 <<<"$line")" "$(cut -d'|' -f4 <<<"$line")"
  done
}

for p in "${paths[@]}"; do
  case "$p" in
    flotilla)
      echo "== flotilla: two VTEPs in one JVM, $lanes lane(s) each"
      # shellcheck disable=SC2086 # jvm_opts is a list of options
      java -Dio.netty.leakDetectionLevel=disabled $jvm_opts -cp "${jars[0]}:$root/bench/target/lib/*" dev.flotilla.bench.VtepBench \
        node-a="$node_a" node-b="$node_b" net-a="$net_a" net-b="$net_b" underlay-a="$ul_a" underlay-b="$ul_b" \
        task-a="$ip_a" task-b="$ip_b" lanes="$lanes" underlay-mtu="$ul_mtu" >"$work/vtep.log" 2>&1 </dev/null &
      jvm_pid=$!
      wait_for 30 grep -q '^READY' "$work/vtep.log" || die "VtepBench did not get ready in 30 s"
      for ns in "$net_a" "$net_b"; do ip -n "$ns" link set vtep0 mtu "$task_mtu" master br0 up; done
      measure flotilla "$ip_b"
      stop_jvm
      grep '^COUNTERS' "$work/vtep.log" | sed 's/^/   /' || true
      ;;
    kernel)
      echo "== kernel: vx0 id $vni dstport 4789 nolearning, static fdb and neighbours"
      for side in a b; do
        if [[ $side == a ]]; then node=$node_a net=$net_a local=$ul_a remote=$ul_b peer_mac=$mac_b
        else node=$node_b net=$net_b local=$ul_b remote=$ul_a peer_mac=$mac_a; fi
        ip -n "$node" link add vx0 type vxlan id "$vni" dstport 4789 local "$local" nolearning
        ip -n "$node" link set vx0 netns "$net"
        ip -n "$net" link set vx0 mtu "$task_mtu" master br0 up
        bridge -n "$net" fdb append "$peer_mac" dev vx0 dst "$remote"
      done
      ip -n "$task_a" neigh replace "$ip_b" lladdr "$mac_b" dev eth0 nud permanent
      ip -n "$task_b" neigh replace "$ip_a" lladdr "$mac_a" dev eth0 nud permanent
      measure kernel "$ip_b"
      ;;
    veth) echo "== veth: task-a d0 -- d0 task-b, no bridge, no tunnel"; measure veth "$floor_b" ;;
    *) die "unknown path $p (flotilla, kernel, veth)" ;;
  esac
done

gbit() { [[ -n "${result[$1]:-}" ]] && cut -d'|' -f1 <<<"${result[$1]}" || echo "-"; }
col() { [[ -n "${result[$1]:-}" ]] && cut -d'|' -f"$2" <<<"${result[$1]}" || echo "-"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "-" && b != "-" && b > 0) printf "%.2f", a / b; else print "n/a" }'; }
stamp=$(date +%Y-%m-%d-%H%M%S)
{
  echo "# Flotilla VTEP vs kernel VXLAN vs veth, $(date '+%Y-%m-%d %H:%M')"
  echo
  echo "$(nproc) cores, $(uname -r), $(java -version 2>&1 | head -n 1), commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')."
  echo "Underlay veth MTU $ul_mtu, tasks MTU $task_mtu; Flotilla: both VTEPs in one JVM, $lanes lane(s) each, leak detection off; bridge-nf $bridge_nf${jvm_opts:+, JVM options \`$jvm_opts\`}."
  echo "iperf3 task-a -> task-b, ${secs} s per figure after 3 s unmeasured; CPU: 100% = one core (JVM), all cores (machine)."
  echo
  echo "| path | streams | Gbit/s | retransmits | JVM CPU (threads >= 5%) | machine CPU |"
  echo "|---|---|---|---|---|---|"
  for p in "${paths[@]}"; do for s in 1 $( ((par > 1)) && echo "$par"); do
    echo "| $p | $s | $(gbit "$p.$s") | $(col "$p.$s" 2) | $(col "$p.$s" 3) | $(col "$p.$s" 4) |"
  done; done
  echo
  ratio_row() { # ratio_row LABEL A B: A/B for 1 stream, and for -P par when measured
    printf '| %s | %s |' "$1" "$(ratio "$(gbit "$2.1")" "$(gbit "$3.1")")"
    ((par > 1)) && printf ' %s |' "$(ratio "$(gbit "$2.$par")" "$(gbit "$3.$par")")"
    echo
  }
  if ((par > 1)); then echo "| ratio | 1 stream | $par streams |"; echo "|---|---|---|"; else echo "| ratio | 1 stream |"; echo "|---|---|"; fi
  ratio_row "flotilla / kernel" flotilla kernel
  ratio_row "kernel / veth" kernel veth
} >"$work/result.md"
echo
cat "$work/result.md"
if ((write_result)); then
  mkdir -p "$root/bench/results"
  cp "$work/result.md" "$root/bench/results/vtep-vs-kernel-$stamp.md"
  echo; echo "written to bench/results/vtep-vs-kernel-$stamp.md"
fi
