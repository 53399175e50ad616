#!/usr/bin/env bash
# Flotilla's embedded DNS server side by side with dnsmasq and unbound, all measured by dnsperf.
#
#   sudo bench/dns-vs-dnsmasq-unbound.sh [--seconds S] [--clients "C1 C2 ..."] [--services N]
#                                        [--flotilla-threads T] [--warmup W] [--no-result]
#   (repo root, after the build: mvn -q -o -DskipTests package)
#   defaults: S=10 s per measurement, clients "1 8" (dnsperf -c, one dnsperf thread, no -Q limit),
#             N=100 services, T=1 event loop answering queries (unbound gets num-threads: 1,
#             dnsmasq is single-threaded anyway), W=10 s of unmeasured load per server first (a
#             JVM's JIT needs that long: after 3 s the first figure was still ~30% low)
#
# Everything runs in one namespace this script makes, db-<random>, on its loopback (the host's own
# interfaces are never touched):
#   198.18.0.1:53  Flotilla: EmbeddedDnsServer (dev.flotilla.bench.DnsBench, a JVM in the namespace)
#   198.18.0.2:53  dnsmasq --no-daemon --no-resolv --no-hosts --addn-hosts=FILE
#   198.18.0.3:53  unbound -d, local-data only, module-config "iterator", num-threads 1
# All three serve the same names: svc-N A 10.0.x.y (N = 1..services) and tasks.svc-N with three A
# records each, TTL 5 s. The query file asks A for every svc-N and every tasks.svc-N, in that
# order. Per server: a W s warm-up (the JVM needs one; the others get the same), then dnsperf for S s
# per client count. Prints qps, average latency, lost queries and the server's CPU (100% = one
# core), the ratios Flotilla/dnsmasq and Flotilla/unbound, and writes
# bench/results/dns-vs-dnsmasq-unbound-<date>.md. Installs dnsperf, unbound and dnsmasq-base with
# apt-get when missing. Cleans up (namespace, servers, temp dir) on exit, failure or Ctrl-C.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
bench=dns-vs-dnsmasq-unbound
source "$root/bench/lib.sh"
secs=10 clients="1 8" services=100 fthreads=1 warmup=10 write_result=1
while (($#)); do
  case "$1" in
    --seconds) secs="${2:?}"; shift 2 ;;
    --clients) clients="${2:?}"; shift 2 ;;
    --warmup) warmup="${2:?}"; shift 2 ;;
    --services) services="${2:?}"; shift 2 ;;
    --flotilla-threads) fthreads="${2:?}"; shift 2 ;;
    --no-result) write_result=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) unknown_argument "$1" ;;
  esac
done

require_root "it creates a network namespace"
((services >= 1 && services < 16384)) || die "--services must be 1..16383"
missing=()
command -v dnsperf >/dev/null || missing+=(dnsperf)
command -v unbound >/dev/null || [[ -x /usr/sbin/unbound ]] || missing+=(unbound)
command -v dnsmasq >/dev/null || [[ -x /usr/sbin/dnsmasq ]] || missing+=(dnsmasq-base)
if ((${#missing[@]})); then
  echo "== installing ${missing[*]}"
  apt-get install -y "${missing[@]}" >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y "${missing[@]}" >/dev/null; } \
    || die "cannot install ${missing[*]}"
fi
unbound_bin=$(command -v unbound || echo /usr/sbin/unbound)
dnsmasq_bin=$(command -v dnsmasq || echo /usr/sbin/dnsmasq)
require_tools "" ip java
jars=("$root"/bench/target/flotilla-bench-*.jar)
[[ -f "${jars[0]}" && -d "$root/bench/target/lib" ]] || die "not built: cd $root && mvn -q -o -DskipTests package"

rand=$(random_tag)
ns="db-$rand"
declare -A addr=([flotilla]=198.18.0.1 [dnsmasq]=198.18.0.2 [unbound]=198.18.0.3)
servers=(flotilla dnsmasq unbound)
work="$(mktemp -d /var/tmp/db-dns.XXXXXX)"
declare -A pid=()
ns_made=0

stop() { # stop NAME: SIGTERM, then SIGKILL after 10 s
  stop_pid "${pid[$1]:-}" "$1" 10
  pid[$1]=""
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  for s in "${servers[@]}"; do stop "$s"; done
  if ((ns_made)); then
    # anything still running in our namespace (nothing should be) goes too
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
    ip netns del "$ns"
  fi
  if ((rc != 0)); then
    for s in "${servers[@]}"; do
      [[ -s "$work/$s.log" ]] && { echo "--- last lines of $s's log ---" >&2; tail -n 15 "$work/$s.log" >&2; }
    done
  fi
  rm -rf "$work"
  exit "$rc"
}
on_exit cleanup

echo "== namespace $ns: lo with ${addr[flotilla]} (flotilla), ${addr[dnsmasq]} (dnsmasq), ${addr[unbound]} (unbound)"
ip netns add "$ns"; ns_made=1
ip -n "$ns" link set lo up
for s in "${servers[@]}"; do ip -n "$ns" addr add "${addr[$s]}/32" dev lo; done

# The names, as DnsBench builds them: svc-N -> 10.0.(N/256).(N%256); tasks.svc-N -> 10.1.(N/64).((N%64)*4+t), t = 1..3
: >"$work/hosts"; : >"$work/unbound-data.conf"; : >"$work/queries"
for ((n = 1; n <= services; n++)); do
  v="10.0.$((n / 256)).$((n % 256))"
  printf '%s svc-%d\n' "$v" "$n" >>"$work/hosts"
  printf '  local-data: "svc-%d. 5 IN A %s"\n' "$n" "$v" >>"$work/unbound-data.conf"
  for t in 1 2 3; do
    a="10.1.$((n / 64)).$(((n % 64) * 4 + t))"
    printf '%s tasks.svc-%d\n' "$a" "$n" >>"$work/hosts"
    printf '  local-data: "tasks.svc-%d. 5 IN A %s"\n' "$n" "$a" >>"$work/unbound-data.conf"
  done
  printf 'svc-%d A\ntasks.svc-%d A\n' "$n" "$n" >>"$work/queries"
done
cat >"$work/unbound.conf" <<CONF
server:
  interface: ${addr[unbound]}
  port: 53
  num-threads: 1
  do-daemonize: no
  do-ip6: no
  chroot: ""
  username: ""
  directory: "$work"
  pidfile: ""
  use-syslog: no
  logfile: ""
  verbosity: 0
  access-control: 198.18.0.0/24 allow
  access-control: 127.0.0.0/8 allow
  module-config: "iterator"
  $(cat "$work/unbound-data.conf")
remote-control:
  control-enable: no
CONF
"$unbound_bin"-checkconf "$work/unbound.conf" >/dev/null 2>&1 || { "$unbound_bin"-checkconf "$work/unbound.conf" >&2 || true; die "unbound rejects its config"; }

echo "== starting the servers ($services services: $((services * 2)) names, $((services * 4)) A records)"
ip netns exec "$ns" java -Dio.netty.leakDetectionLevel=disabled -cp "${jars[0]}:$root/bench/target/lib/*" \
  dev.flotilla.bench.DnsBench addr="${addr[flotilla]}" port=53 services="$services" threads="$fthreads" \
  >"$work/flotilla.log" 2>&1 </dev/null &
pid[flotilla]=$!
ip netns exec "$ns" "$dnsmasq_bin" --no-daemon --conf-file=/dev/null --no-resolv --no-hosts --addn-hosts="$work/hosts" \
  --listen-address="${addr[dnsmasq]}" --bind-interfaces --port=53 --local-ttl=5 --pid-file --user=root \
  --log-facility=- >"$work/dnsmasq.log" 2>&1 </dev/null &
pid[dnsmasq]=$!
ip netns exec "$ns" "$unbound_bin" -d -c "$work/unbound.conf" >"$work/unbound.log" 2>&1 </dev/null &
pid[unbound]=$!
wait_for 30 grep -q '^READY' "$work/flotilla.log" || die "DnsBench did not get ready in 30 s"

probe() { # probe SERVER: one dnsperf query for tasks.svc-1 must get an answer
  printf 'tasks.svc-1 A\n' | ip netns exec "$ns" dnsperf -s "${addr[$1]}" -n 1 -t 1 2>&1 | grep -q 'Queries completed: *1 '
}
for s in "${servers[@]}"; do
  kill -0 "${pid[$s]}" 2>/dev/null || die "$s exited at start"
  wait_for 15 probe "$s" || die "$s does not answer tasks.svc-1 on ${addr[$s]}"
done

cpu_ticks() { awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$1/stat"; }
perf_run() { # perf_run SERVER CLIENTS SECONDS: prints "qps|avg latency ms|lost|server cpu"; response codes to $work/rcodes.*
  local s=$1 c=$2 l=$3 t0 t1 c0 c1 out
  c0=$(cpu_ticks "${pid[$s]}"); t0=$(date +%s.%N)
  out=$(ip netns exec "$ns" dnsperf -s "${addr[$s]}" -d "$work/queries" -l "$l" -c "$c" -T 1 2>&1) \
    || die "dnsperf against $s failed: $out"
  t1=$(date +%s.%N); c1=$(cpu_ticks "${pid[$s]}")
  awk -v c0="$c0" -v c1="$c1" -v t0="$t0" -v t1="$t1" -v hz="$(getconf CLK_TCK)" '
    /Queries per second:/ { qps = $4 }
    /Average Latency \(s\):/ { lat = $4 * 1000 }
    /Queries lost:/ { lost = $3 }
    /Queries completed:/ { done = $3 }
    END { printf "%.0f|%.3f|%s|%.0f%%\n", qps, lat, lost, (c1 - c0) / hz / (t1 - t0) * 100 }' <<<"$out"
  grep -E 'Response codes:' <<<"$out" >"$work/rcodes.$s.$c" || true
}

declare -A result
for s in "${servers[@]}"; do
  perf_run "$s" 4 "$warmup" >/dev/null  # warm-up, unmeasured
  for c in $clients; do
    result[$s.$c]=$(perf_run "$s" "$c" "$secs")
    IFS='|' read -r q lat lost cpu <<<"${result[$s.$c]}"
    printf '   %-8s -c %-3s %9s qps  avg %s ms  lost %s  server CPU %s  (%s)\n' "$s" "$c" "$q" "$lat" "$lost" "$cpu" \
      "$(sed 's/^ *//' "$work/rcodes.$s.$c")"
  done
done
for s in "${servers[@]}"; do stop "$s"; done
grep '^counters' "$work/flotilla.log" | sed 's/^/   flotilla /' || true

field() { cut -d'|' -f"$2" <<<"${result[$1]:--}"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "-" && b != "-" && b > 0) printf "%.2f", a / b; else print "n/a" }'; }
stamp=$(date +%Y-%m-%d-%H%M%S)
{
  echo "# Flotilla embedded DNS vs dnsmasq vs unbound (dnsperf), $(date '+%Y-%m-%d %H:%M')"
  echo
  echo "$(nproc) cores (shared with other test runs: figures are noisy), $(uname -r), $(java -version 2>&1 | head -n 1), commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')."
  echo "dnsperf $(dpkg-query -W -f '${Version}' dnsperf 2>/dev/null || echo '?'), $("$dnsmasq_bin" --version | head -n 1 | awk '{print $1, $2, $3}'), unbound $("$unbound_bin" -V 2>/dev/null | awk '/^Version/ {print $2}')."
  echo "One namespace, loopback, UDP port 53 on 198.18.0.1-3; $services services = $((services * 2)) names (svc-N: 1 A, tasks.svc-N: 3 A), TTL 5 s."
  echo "Query file: A for every name in turn (all NOERROR). dnsperf -T 1 -c C, no -Q limit, ${secs} s per figure after a ${warmup} s warm-up."
  echo "Flotilla: EmbeddedDnsServer on $fthreads event loop(s), leak detection off; unbound: num-threads 1, module-config iterator, local-data; dnsmasq: --addn-hosts, --local-ttl=5."
  echo "Server CPU: 100% = one core. dnsperf and the server share the machine's $(nproc) cores."
  echo
  echo "| server | clients | qps | avg latency ms | lost | server CPU |"
  echo "|---|---|---|---|---|---|"
  for s in "${servers[@]}"; do for c in $clients; do
    echo "| $s | $c | $(field "$s.$c" 1) | $(field "$s.$c" 2) | $(field "$s.$c" 3) | $(field "$s.$c" 4) |"
  done; done
  echo
  echo "| qps ratio |$(for c in $clients; do printf ' -c %s |' "$c"; done)"
  echo "|---|$(for c in $clients; do printf -- '---|'; done)"
  echo "| flotilla / dnsmasq |$(for c in $clients; do printf ' %s |' "$(ratio "$(field flotilla.$c 1)" "$(field dnsmasq.$c 1)")"; done)"
  echo "| flotilla / unbound |$(for c in $clients; do printf ' %s |' "$(ratio "$(field flotilla.$c 1)" "$(field unbound.$c 1)")"; done)"
} >"$work/result.md"
echo
cat "$work/result.md"
if ((write_result)); then
  mkdir -p "$root/bench/results"
  cp "$work/result.md" "$root/bench/results/dns-vs-dnsmasq-unbound-$stamp.md"
  echo; echo "written to bench/results/dns-vs-dnsmasq-unbound-$stamp.md"
fi
