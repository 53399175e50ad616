#!/usr/bin/env bash
# The routing mesh side by side with HAProxy (tcp mode) and with no proxy at all, in one run.
#
#   sudo bench/mesh-vs-haproxy.sh [--seconds S] [--rounds R] [--warmup W]   (repo root, after the build)
#   defaults: S=10 s per measurement, R=1 round, W=3 s of unmeasured load per path first
#
# Topology, all in namespaces this script makes (this machine's own interfaces are never touched):
#   ft-bench-<rand> a Flotilla node (eth0 198.18.0.1/24, a veth whose peer stays in the namespace),
#                   one-manager swarm, services `iperf` (-p 5201:5201, `iperf3 -s`) and `web`
#                   (-p 8080:80, busybox httpd), 1 replica each so every path ends at the same task;
#                   HAProxy 2.6 in tcp mode on 15201 and 18080, forwarding to the same task IP:port.
#   the clients (iperf3, wrk) also run in ft-bench-<rand>, so on every path the client -> proxy leg
#   is loopback and the proxy -> task leg is the node's ingress veth (MTU 1450) to the task.
# Paths: direct = client -> task IP; mesh = client -> 198.18.0.1:5201/8080 -> daemon -> task;
#        haproxy = client -> 198.18.0.1:15201/18080 -> haproxy -> task.
# Threads: the mesh runs max(2, cores) = 2 epoll event loops on this 2-core machine; HAProxy gets
# `nbthread 2` to match. One iperf3 stream is one connection, i.e. one thread of either proxy.
# Each round runs iperf3 (1 stream, S seconds) direct, mesh, haproxy, then wrk (1 thread,
# 10 connections, `Connection: close`, S seconds) in the same order (round r starts with the r-th
# path, so use --rounds 3 to give every path every position), each wrk run once the node
# holds no TIME_WAIT sockets (kernel defaults kept; see drain_time_wait); figures are means over rounds.
# While each proxied run goes, the proxy's per-thread CPU is sampled from /proc (like top -H).
# Prints a table and writes bench/results/mesh-vs-haproxy-<date>.md. Cleans up on exit, failure or Ctrl-C.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
bench=mesh-vs-haproxy
source "$root/bench/lib.sh"
secs=10
rounds=1
warmup=3
while (($#)); do
  case "$1" in
    --seconds) secs="${2:?}"; shift 2 ;;
    --rounds) rounds="${2:?}"; shift 2 ;;
    --warmup) warmup="${2:?}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) unknown_argument "$1" ;;
  esac
done

node="ft-bench-$(random_tag)"
node_ip=198.18.0.1
mesh_iperf=5201 mesh_web=8080 hap_iperf=15201 hap_web=18080
wrk_conns=10

require_root "it creates network namespaces and runc containers"
require_tools "apt-get install -y iperf3 haproxy wrk curl busybox-static runc" iperf3 haproxy wrk curl busybox runc nsenter
[[ -f "$root/control/daemon/target/flotilla-daemon-0.1.0-SNAPSHOT.jar" ]] || die "not built: cd $root && mvn -B -q -o -DskipTests package"

work="$(mktemp -d /var/tmp/ft-bench.XXXXXX)"
data="$work/data"
export FLOTILLA_HOST="unix://$work/flotilla.sock"
daemon_pid="" hap_pid=""
flotilla() { "$root/bin/flotilla" "$@"; }
in_node() { nsenter --net="/run/netns/$node" "$@"; }


cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  [[ -n "$hap_pid" ]] && kill -TERM "$hap_pid" 2>/dev/null && wait "$hap_pid" 2>/dev/null
  # The daemon stops its containers and removes its namespaces on SIGTERM.
  stop_pid "$daemon_pid" daemon 60
  remove_daemon_leftovers "$data" "$work"
  if ip netns list | grep -qw "$node"; then ip netns del "$node"; fi
  if ((rc != 0)) && [[ -f "$work/daemon.log" ]]; then
    echo "--- last lines of the daemon's log ---" >&2; tail -n 20 "$work/daemon.log" >&2
    [[ -s "$work/haproxy.log" ]] && { echo "--- haproxy's log ---" >&2; tail -n 20 "$work/haproxy.log" >&2; }
  fi
  rm -rf "$work"
  exit "$rc"
}
on_exit cleanup

echo "== topology: namespace $node ($node_ip/24), Flotilla node, data in $work"
make_node_namespace "$node" "$node_ip/24"
# Not through in_node: a function would run in a subshell and $! would not be the daemon's pid.
nsenter --net="/run/netns/$node" "$root/bin/flotilla" daemon --data-root "$data" --host "$FLOTILLA_HOST" >"$work/daemon.log" 2>&1 </dev/null &
daemon_pid=$!
wait_for 60 flotilla info || die "the daemon did not answer within 60 s"
[[ "$(cat "/proc/$daemon_pid/comm")" == java ]] || die "pid $daemon_pid is not the daemon's JVM"
flotilla swarm init --advertise-addr "$node_ip" >/dev/null

echo "== images: web (busybox httpd), iperf (iperf3 + its libraries + busybox)"
"$root/scripts/make-web-image.sh" "$work/web-rootfs"
flotilla image import web "$work/web-rootfs" --change "CMD $("$root/scripts/make-web-image.sh" --cmd)" >/dev/null
"$root/scripts/make-web-image.sh" "$work/iperf-rootfs"
iperf3_bin="$(readlink -f "$(command -v iperf3)")"
cp --parents "$iperf3_bin" "$work/iperf-rootfs"
for lib in $(ldd "$iperf3_bin" | grep -o '/[^ ]*'); do cp -L --parents "$lib" "$work/iperf-rootfs"; done
flotilla image import iperf "$work/iperf-rootfs" --change "CMD [\"$iperf3_bin\",\"-s\"]" >/dev/null

echo "== services: iperf -p $mesh_iperf:5201, web -p $mesh_web:80 (1 replica each)"
flotilla service create --name iperf --replicas 1 -p "$mesh_iperf:5201" iperf >/dev/null
flotilla service create --name web --replicas 1 -p "$mesh_web:80" web >/dev/null

task_ip() { # task_ip SERVICE: the ingress address of the service's only task on this node
  local ctr; ctr=$(flotilla ps | awk -v s="$1." 'index($NF, s) == 1 {print $NF; exit}')
  [[ -n "$ctr" ]] || return 1
  flotilla exec "$ctr" ip -4 addr show eth0 | awk '$1 == "inet" {sub("/.*", "", $2); print $2; exit}'
}
iperf_ip=$(task_ip iperf) && [[ -n "$iperf_ip" ]] || die "cannot find the iperf task's address"
web_ip=$(task_ip web) && [[ -n "$web_ip" ]] || die "cannot find the web task's address"
echo "   iperf task $iperf_ip, web task $web_ip"

echo "== haproxy (tcp mode, nbthread 2) on $node_ip:$hap_iperf and :$hap_web"
cat >"$work/haproxy.cfg" <<CFG
global
    nbthread 2
    maxconn 4096
defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s
listen iperf
    bind $node_ip:$hap_iperf
    server task $iperf_ip:5201
listen web
    bind $node_ip:$hap_web
    server task $web_ip:80
CFG
haproxy -c -q -f "$work/haproxy.cfg" || die "haproxy rejects $work/haproxy.cfg"
nsenter --net="/run/netns/$node" haproxy -db -f "$work/haproxy.cfg" >"$work/haproxy.log" 2>&1 </dev/null &
hap_pid=$!

http_ok() { in_node curl -fsS -m 2 -o /dev/null "http://$1/"; }
for target in "$web_ip:80" "$node_ip:$mesh_web" "$node_ip:$hap_web"; do
  wait_for 30 http_ok "$target" || die "no HTTP answer from $target"
done
iperf_ok() { in_node iperf3 -c "${1%:*}" -p "${1#*:}" -t 1 -f m >/dev/null; }
for target in "$iperf_ip:5201" "$node_ip:$mesh_iperf" "$node_ip:$hap_iperf"; do
  wait_for 30 iperf_ok "$target" || die "no iperf3 answer from $target"
done

# Per-thread CPU of a process over a run, like top -H: prints "busiest-thread-name busiest% total%"
# (100% = one core). thread_ticks prints "tid name utime+stime" per thread.
thread_ticks() { for t in /proc/"$1"/task/*; do
  printf '%s %s %s\n' "${t##*/}" "$(tr ' ' _ <"$t/comm")" "$(awk '{sub(/^.*\) /, ""); print $12 + $13}' "$t/stat")"; done; }
cpu_during() { # cpu_during PID OUTFILE COMMAND...: runs COMMAND, then writes PID's thread CPU usage to OUTFILE
  local pid=$1 out=$2; shift 2
  thread_ticks "$pid" >"$work/ticks.before"
  local t0; t0=$(date +%s.%N)
  "$@"
  local t1; t1=$(date +%s.%N)
  thread_ticks "$pid" >"$work/ticks.after"
  awk -v s="$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" -v hz="$(getconf CLK_TCK)" '
    NR == FNR { before[$1] = $3; next }
    { d = ($3 - before[$1]) / hz / s * 100; total += d; if (d > max) { max = d; name = $2 } }
    END { printf "%s %.0f %.0f\n", name, max, total }' "$work/ticks.before" "$work/ticks.after" >"$out"
}
iperf_run() { # iperf_run IP PORT: Gbit/s received by the server
  in_node iperf3 -c "$1" -p "$2" -t "$secs" -P 1 -f m | awk '/receiver/ {printf "%.2f\n", $(NF-2) / 1000}'
}
wrk_run() { # wrk_run IP PORT: requests/s, and the error count on stderr-free stdout line 2
  in_node wrk -t 1 -c "$wrk_conns" -d "${secs}s" -H 'Connection: close' "http://$1:$2/" >"$work/wrk.out"
  awk '/Requests\/sec/ {printf "%.0f\n", $2}' "$work/wrk.out"
  awk '/Socket errors|Non-2xx/ {e = e $0 "; "} END {print (e == "" ? "none" : e)}' "$work/wrk.out"
}

# The clients share the node's namespace with both proxies, and the direct wrk run connects from
# the node's ingress address to the task's port 80, the very 4-tuples the proxies' upstream
# connections use. Tens of thousands of TIME_WAIT sockets left by one run make every connect() of
# the next run walk the ephemeral port range (__inet_hash_connect, ~55% of the daemon's CPU when
# measured), penalising whichever path comes next. So each short-connection run starts from none.
tw_drained() { (($(in_node ss -Htan state time-wait | wc -l) < 50)); }
drain_time_wait() {
  tw_drained && return
  echo "   (waiting up to 70 s for the last run's TIME_WAIT sockets to expire)"
  wait_for 70 tw_drained || echo "   warning: TIME_WAIT sockets left; the next short-connection figure is pessimistic" >&2
}

declare -A sum raw cpu errors
paths=(direct mesh haproxy)
target_of() { # target_of KIND PATH: "IP PORT" the client connects to
  case "$1.$2" in
    iperf.direct) echo "$iperf_ip 5201" ;; iperf.mesh) echo "$node_ip $mesh_iperf" ;; iperf.haproxy) echo "$node_ip $hap_iperf" ;;
    wrk.direct) echo "$web_ip 80" ;; wrk.mesh) echo "$node_ip $mesh_web" ;; wrk.haproxy) echo "$node_ip $hap_web" ;;
  esac
}
pid_of() { case "$1" in mesh) echo "$daemon_pid" ;; haproxy) echo "$hap_pid" ;; *) echo "" ;; esac; }
measure() { # measure KIND PATH IP PORT
  local kind=$1 path=$2 ip=$3 port=$4 pid out value
  [[ "$kind" == wrk ]] && drain_time_wait
  pid=$(pid_of "$path")
  if [[ -n "$pid" ]]; then
    cpu_during "$pid" "$work/cpu" "${kind}_run" "$ip" "$port" >"$work/out"
    cpu[$kind.$path]=$(cat "$work/cpu")
  else
    "${kind}_run" "$ip" "$port" >"$work/out"
  fi
  value=$(head -n 1 "$work/out")
  [[ -n "$value" ]] || die "$kind through $path ($ip:$port) gave no figure"
  [[ "$kind" == wrk ]] && errors[$path]=$(sed -n 2p "$work/out")
  raw[$kind.$path]+="${raw[$kind.$path]:+, }$value"
  sum[$kind.$path]=$(awk -v a="${sum[$kind.$path]:-0}" -v b="$value" 'BEGIN {print a + b}')
  printf '   %-5s %-8s %s %s\n' "$kind" "$path" "$value" "$([[ $kind == iperf ]] && echo Gbit/s || echo req/s)"
}

# The daemon is a JVM: give its JIT the proxy's paths before measuring (every path gets the same).
echo "== warm-up: wrk ${warmup}s and iperf3 ${warmup}s on every path (not measured)"
for target in "$web_ip:80" "$node_ip:$mesh_web" "$node_ip:$hap_web"; do
  in_node wrk -t 1 -c "$wrk_conns" -d "${warmup}s" -H 'Connection: close' "http://$target/" >/dev/null
done
for target in "$iperf_ip:5201" "$node_ip:$mesh_iperf" "$node_ip:$hap_iperf"; do
  in_node iperf3 -c "${target%:*}" -p "${target#*:}" -t "$warmup" >/dev/null
done

for ((r = 1; r <= rounds; r++)); do
  echo "== round $r/$rounds: iperf3 1 stream ${secs}s, then wrk -t1 -c$wrk_conns ${secs}s Connection: close"
  # Round r starts at path r (mod 3), so that no path always runs first or right after another.
  order=("${paths[@]:$(((r - 1) % 3))}" "${paths[@]:0:$(((r - 1) % 3))}")
  for p in "${order[@]}"; do measure iperf "$p" $(target_of iperf "$p"); done
  for p in "${order[@]}"; do measure wrk "$p" $(target_of wrk "$p"); done
done

mean() { awk -v a="${sum[$1]}" -v n="$rounds" -v k="$1" 'BEGIN {printf(k ~ /^iperf/ ? "%.2f" : "%.0f", a / n)}'; }
ratio() { echo "$1 $2" | awk '{ if ($2 > 0) printf "%.2f", $1 / $2; else print "n/a" }'; }
cpu_text() { [[ -n "${cpu[$1]:-}" ]] && awk '{printf "%s%% (busiest thread %s %s%%)", $3, $1, $2}' <<<"${cpu[$1]}" || echo "-"; }
it_d=$(mean iperf.direct) it_m=$(mean iperf.mesh) it_h=$(mean iperf.haproxy)
rq_d=$(mean wrk.direct) rq_m=$(mean wrk.mesh) rq_h=$(mean wrk.haproxy)
stamp=$(date +%Y-%m-%d-%H%M%S)
result="$root/bench/results/mesh-vs-haproxy-$stamp.md"
mkdir -p "$root/bench/results"
{
  echo "# Routing mesh vs HAProxy vs direct, $(date '+%Y-%m-%d %H:%M')"
  echo
  echo "$(nproc) cores, $(uname -r), $(haproxy -v | head -n 1 | cut -d' ' -f1-3), commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')."
  echo "Clients in the node's namespace; mesh: 2 event loops; HAProxy: tcp mode, nbthread 2; one task per service."
  echo "iperf3: 1 stream, ${secs} s; wrk: 1 thread, $wrk_conns connections, ${secs} s, \`Connection: close\`; mean of $rounds round(s), after ${warmup} s of unmeasured load per path."
  echo
  echo "| path | iperf3 Gbit/s | short connections req/s | proxy CPU during iperf3 (last round) | proxy CPU during wrk (last round) | wrk errors |"
  echo "|---|---|---|---|---|---|"
  for p in "${paths[@]}"; do
    echo "| $p | $(mean iperf.$p) | $(mean wrk.$p) | $(cpu_text iperf.$p) | $(cpu_text wrk.$p) | ${errors[$p]} |"
  done
  echo
  echo "| ratio | throughput | req/s |"
  echo "|---|---|---|"
  echo "| mesh / haproxy | $(ratio "$it_m" "$it_h") | $(ratio "$rq_m" "$rq_h") |"
  echo "| mesh / direct | $(ratio "$it_m" "$it_d") | $(ratio "$rq_m" "$rq_d") |"
  echo "| haproxy / direct | $(ratio "$it_h" "$it_d") | $(ratio "$rq_h" "$rq_d") |"
  if ((rounds > 1)); then
    echo
    echo "Per round (the machine's figures drift; compare within a round):"
    for k in iperf wrk; do for p in "${paths[@]}"; do echo "- $k $p: ${raw[$k.$p]}"; done; done
  fi
} >"$result"
echo
cat "$result"
echo
echo "written to ${result#"$root/"}"
