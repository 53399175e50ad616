#!/usr/bin/env bash
# A service VIP as users get it (wired by a Flotilla daemon) side by side with going straight to the task.
#
#   sudo bench/vip-vs-direct.sh [--seconds S] [--parallel P] [--rounds R] [--warmup W] [--no-result]
#   (repo root, after the build: bin/build)
#   defaults: S=10 s per measurement, P=2 (a second figure with -P P; 0 skips it), R=1 round,
#   W=3 s of unmeasured load per path first (the daemon is a JVM)
#
# What it makes (every name starts with fvb-<random>; this machine's interfaces are never touched):
#   fvb-R-node   a namespace with eth0 198.18.0.1/24 (a veth whose peer stays inside), in which a
#                Flotilla daemon runs (nsenter --net, data root and socket in a fresh /var/tmp/fvb.*)
#   one-manager swarm, `network create -d overlay bench`, the host's busybox as image `busybox`, and
#   services `server` and `client` (1 replica each, `sleep 1000000`, --network bench). The daemon
#   makes the overlay's namespace (br0, the VIPs' TPROXY steering, its VipProxy) and the tasks'.
# iperf3 is the host's, run with nsenter --net=/proc/<task pid>/ns/net (pid from `runc state`):
# `iperf3 -s` in the server task's namespace, the client in the client task's. Paths:
#   direct  client task -> server task's address on bench (bridged by br0, no proxy)
#   vip     client task -> the server's VIP (`service inspect`, Endpoint.VirtualIPs) -> TPROXY ->
#           the daemon's VipProxy -> from the node's LB address on bench -> server task
# Each round: direct then vip (round 2 starts with vip, and so on), 1 stream then -P P, S s each.
# Prints Gbit/s, TCP retransmits, the daemon's CPU during the vip runs, vip/direct, and writes
# bench/results/vip-vs-direct-<date>.md. Removes everything on exit, failure, Ctrl-C or SIGTERM.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
bench=vip-vs-direct
source "$root/bench/lib.sh"
secs=10 par=2 rounds=1 warmup=3 write_result=1
while (($#)); do
  case "$1" in
    --seconds) secs="${2:?}"; shift 2 ;;
    --parallel) par="${2:?}"; shift 2 ;;
    --rounds) rounds="${2:?}"; shift 2 ;;
    --warmup) warmup="${2:?}"; shift 2 ;;
    --no-result) write_result=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) unknown_argument "$1" ;;
  esac
done

require_root "it starts a daemon that makes network namespaces and runc containers"
require_tools "apt-get install -y iperf3 jq busybox-static runc" iperf3 jq busybox runc nsenter ip java
[[ -f "$root/control/daemon/target/flotilla-daemon-0.1.0-SNAPSHOT.jar" ]] || die "not built: cd $root && bin/build"

rand=$(random_tag)
node="fvb-$rand-node" node_ip=198.18.0.1
work="$(mktemp -d /var/tmp/fvb.XXXXXX)"
data="$work/data"
export FLOTILLA_HOST="unix://$work/flotilla.sock"
daemon_pid="" server_pid=""
flotilla() { "$root/bin/flotilla" "$@"; }

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  [[ -n "$server_pid" ]] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  if [[ -n "$daemon_pid" ]] && kill -0 "$daemon_pid" 2>/dev/null; then
    timeout 30 "$root/bin/flotilla" service rm server client >/dev/null 2>&1
    # The daemon stops its containers and removes its namespaces on SIGTERM.
    stop_pid "$daemon_pid" daemon 60
  fi
  remove_daemon_leftovers "$data" "$work"
  for ns in $(ip netns list | awk '{print $1}' | grep -E "^fvb-$rand-"); do ip netns del "$ns"; done
  if ((rc != 0)) && [[ -f "$work/daemon.log" ]]; then
    echo "--- last lines of the daemon's log ---" >&2; tail -n 20 "$work/daemon.log" >&2
  fi
  rm -rf "$work"
  exit "$rc"
}
on_exit cleanup

echo "== node: namespace $node ($node_ip/24), daemon data in $work"
make_node_namespace "$node" "$node_ip/24"
# Not through a function: $! must be the daemon's own pid (nsenter execs the launcher, which execs java).
nsenter --net="/run/netns/$node" "$root/bin/flotilla" daemon --data-root "$data" --host "$FLOTILLA_HOST" \
  >"$work/daemon.log" 2>&1 </dev/null &
daemon_pid=$!
wait_for 60 flotilla info || die "the daemon did not answer within 60 s"
[[ "$(cat "/proc/$daemon_pid/comm")" == java ]] || die "pid $daemon_pid is not the daemon's JVM"
flotilla swarm init --advertise-addr "$node_ip" >/dev/null

echo "== network bench (overlay), image busybox, services server and client (sleep 1000000)"
"$root/scripts/make-web-image.sh" "$work/rootfs"
flotilla image import busybox "$work/rootfs" >/dev/null
flotilla network create -d overlay bench >/dev/null
for s in server client; do
  flotilla service create --name "$s" --replicas 1 --network bench busybox sleep 1000000 >/dev/null
done

task_pid() { # task_pid SERVICE: the pid of the service's only container, from runc state
  local short full
  short=$(flotilla ps | awk -v s="$1." 'index($NF, s) == 1 {print $1; exit}')
  [[ -n "$short" ]] || return 1
  full=$(runc list -q | grep "^$short" | head -n 1)
  [[ -n "$full" && -d "$data/containers/$full" ]] || return 1
  runc state "$full" | jq -er '.pid'
}
wait_for 30 task_pid server && wait_for 30 task_pid client || die "the tasks did not start"
server_task=$(task_pid server) client_task=$(task_pid client)
in_server() { nsenter --net="/proc/$server_task/ns/net" "$@"; }
in_client() { nsenter --net="/proc/$client_task/ns/net" "$@"; }
vip=$(flotilla service inspect server | jq -er '.[0].Endpoint.VirtualIPs[0].Addr | sub("/.*"; "")') \
  || die "service server has no VIP"
# The server task's own address on bench: the source it would use towards its VIP's subnet.
server_ip=$(in_server ip -4 -o route get "$vip" | awk '{for (i = 1; i < NF; i++) if ($i == "src") print $(i + 1)}')
[[ -n "$server_ip" ]] || die "cannot find the server task's address on bench"
echo "   server task pid $server_task, address $server_ip, VIP $vip; client task pid $client_task"

nsenter --net="/proc/$server_task/ns/net" iperf3 -s >"$work/iperf-server.log" 2>&1 </dev/null &
server_pid=$!
for target in "$server_ip" "$vip"; do
  wait_for 20 in_client iperf3 -c "$target" -t 1 || die "no iperf3 answer from $target in the client task"
done

# The daemon's per-thread CPU over a run, like top -H. thread_ticks prints "tid name utime+stime".
# A thread may end between the listing and the read: its line is left out.
thread_ticks() { for t in /proc/"$1"/task/*; do
  { printf '%s %s %s\n' "${t##*/}" "$(tr ' ' _ <"$t/comm")" "$(awk '{sub(/^.*\) /, ""); print $12 + $13}' "$t/stat")"; } 2>/dev/null
  done | awk 'NF == 3'; }
iperf_run() { # iperf_run TARGET STREAMS: prints "Gbit/s|retransmits|daemon CPU %|busiest thread %"
  local target=$1 streams=$2 t0 t1
  thread_ticks "$daemon_pid" >"$work/ticks.before"; t0=$(date +%s.%N)
  in_client iperf3 -c "$target" -t "$secs" -P "$streams" -J >"$work/iperf.json" \
    || die "iperf3 to $target -P $streams failed: $(jq -r '.error // empty' "$work/iperf.json" 2>/dev/null)"
  t1=$(date +%s.%N); thread_ticks "$daemon_pid" >"$work/ticks.after"
  local cpu
  cpu=$(awk -v s="$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" -v hz="$(getconf CLK_TCK)" '
    NR == FNR { before[$1] = $3; next }
    ($1 in before) { d = ($3 - before[$1]) / hz / s * 100; total += d; if (d > max) { max = d; name = $2 } }
    END { printf "%.0f|%s %.0f", total, name, max }' "$work/ticks.before" "$work/ticks.after")
  printf '%s|%s|%s\n' "$(jq -r '.end.sum_received.bits_per_second / 1e9 | . * 100 | round / 100' "$work/iperf.json")" \
    "$(jq -r '.end.sum_sent.retransmits' "$work/iperf.json")" "$cpu"
}
target_of() { [[ $1 == vip ]] && echo "$vip" || echo "$server_ip"; }

echo "== warm-up: iperf3 ${warmup}s on each path (not measured)"
for p in direct vip; do in_client iperf3 -c "$(target_of $p)" -t "$warmup" >/dev/null || die "$p: warm-up failed"; done

streams_list=(1); ((par > 1)) && streams_list+=("$par")
declare -A sum raw raw_retr raw_cpu
paths=(direct vip)
for ((r = 1; r <= rounds; r++)); do
  echo "== round $r/$rounds: 1 stream$( ((par > 1)) && echo " then -P $par"), ${secs}s each"
  order=("${paths[@]:$(((r - 1) % 2))}" "${paths[@]:0:$(((r - 1) % 2))}")
  for p in "${order[@]}"; do
    for s in "${streams_list[@]}"; do
      out=$(iperf_run "$(target_of "$p")" "$s")
      IFS='|' read -r gbit retr cpu busiest <<<"$out"
      printf '   %-6s -P %s  %6s Gbit/s  retransmits %-6s daemon CPU %s%% (busiest thread %s%%)\n' \
        "$p" "$s" "$gbit" "$retr" "$cpu" "$busiest"
      raw[$p.$s]+="${raw[$p.$s]:+, }$gbit"
      raw_retr[$p.$s]+="${raw_retr[$p.$s]:+, }$retr"
      sum[$p.$s]=$(awk -v a="${sum[$p.$s]:-0}" -v b="$gbit" 'BEGIN {print a + b}')
      [[ $p == vip ]] && raw_cpu[$p.$s]+="${raw_cpu[$p.$s]:+; }$cpu% ($busiest%)"
    done
  done
done

mean() { awk -v a="${sum[$1]}" -v n="$rounds" 'BEGIN {printf "%.2f", a / n}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
stamp=$(date +%Y-%m-%d-%H%M%S)
{
  echo "# Service VIP (Flotilla daemon) vs direct, $(date '+%Y-%m-%d %H:%M')"
  echo
  echo "$(nproc) cores, $(uname -r), $(java -version 2>&1 | head -n 1), commit $(git -C "$root" describe --always --dirty 2>/dev/null || echo '?'), load before the run: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "Command: \`bench/vip-vs-direct.sh --seconds $secs --parallel $par --rounds $rounds --warmup $warmup\`."
  echo "One Flotilla node, overlay network \`bench\` (task MTU 1450), services \`server\` and \`client\` (busybox, 1 task each);"
  echo "iperf3 (host binary) client in the client task's namespace, \`iperf3 -s\` in the server task's; ${secs} s per figure"
  echo "after ${warmup} s unmeasured per path. Gbit/s received, mean over $rounds round(s) (each round's figures in brackets)."
  echo "Daemon CPU: the daemon JVM's threads summed, 100% = one core; busiest thread in brackets."
  echo
  echo "| path | streams | Gbit/s | retransmits | daemon CPU |"
  echo "|---|---|---|---|---|"
  for p in direct vip; do for s in "${streams_list[@]}"; do
    echo "| $p | $s | $(mean "$p.$s") ($( echo "${raw[$p.$s]}")) | ${raw_retr[$p.$s]} | ${raw_cpu[$p.$s]:--} |"
  done; done
  echo
  echo "| ratio vip / direct |$(for s in "${streams_list[@]}"; do printf ' %s stream(s) |' "$s"; done)"
  echo "|---|$(for s in "${streams_list[@]}"; do printf -- '---|'; done)"
  echo "| |$(for s in "${streams_list[@]}"; do printf ' %s |' "$(ratio "$(mean "vip.$s")" "$(mean "direct.$s")")"; done)"
} >"$work/result.md"
echo
cat "$work/result.md"
if ((write_result)); then
  mkdir -p "$root/bench/results"
  cp "$work/result.md" "$root/bench/results/vip-vs-direct-$stamp.md"
  echo; echo "written to bench/results/vip-vs-direct-$stamp.md"
fi
