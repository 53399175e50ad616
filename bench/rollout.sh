#!/usr/bin/env bash
# Rolling out at scale on three nodes, in one run:
#   (a) a service of N replicas created: seconds until `service create` (not detached) returns
#       with all N running;
#   (b) a service of M replicas published on 8080, updated with `--force --update-parallelism P
#       --update-delay 0s`: seconds from the update's start to UpdateStatus completed (the
#       manager's own StartedAt and CompletedAt), beside the floor the monitor period sets (after
#       its last batch runs the updater watches one --update-monitor period, 5 s by default);
#   (c) requests failed during (b) while wrk keeps a steady load through the routing mesh from
#       another node, a new connection per request.
#
#   sudo bench/rollout.sh [--replicas N] [--update-replicas M] [--parallelism P]   (repo root, after the build)
#   defaults: N=300, M=30, P=5
#
# The nodes are namespaces ft-ro-<rand>-1..3 on a bridge in ft-ro-<rand>-u (198.18.0.1-3/24), node-1
# the manager; every task runs the busybox httpd image of scripts/make-web-image.sh on one overlay
# network. wrk runs in node-3's namespace against node-1's published port (-t1 -c4, Connection:
# close), from before the update starts until after it completed. Writes
# bench/results/rollout-<date>.md.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
bench=rollout
source "$root/bench/lib.sh"

replicas=300 update_replicas=30 parallelism=5
while (($#)); do
  case "$1" in
    --replicas) replicas=$2; shift 2 ;;
    --update-replicas) update_replicas=$2; shift 2 ;;
    --parallelism) parallelism=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) unknown_argument "$1" ;;
  esac
done
for v in "$replicas" "$update_replicas" "$parallelism"; do
  [[ "$v" =~ ^[1-9][0-9]*$ ]] || die "--replicas, --update-replicas and --parallelism take positive numbers, got $v"
done

require_root "it creates network namespaces and runc containers"
require_tools "apt-get install -y runc busybox-static wrk jq" runc busybox nsenter unshare wrk jq
[[ -f "$root/control/cli/target/flotilla-cli-0.1.0-SNAPSHOT.jar" ]] || die "not built: cd $root && bin/build"

work="$(mktemp -d /var/tmp/ft-rollout.XXXXXX)"
tag="ft-ro-$(random_tag)"
underlay="$tag-u"
nodes=(1 2 3)
pids=()
addr() { echo "198.18.0.$1"; }
sock() { echo "unix://$work/node-$1.sock"; }
on() { local n=$1; shift; "$root/bin/flotilla" -H "$(sock "$n")" "$@"; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", b - a}'; }

cleanup() {
  local rc=$? n
  trap - EXIT INT TERM
  set +e
  [[ -n "${wrk_pid:-}" ]] && kill "$wrk_pid" 2>/dev/null
  for n in "${!pids[@]}"; do kill -TERM "${pids[$n]}" 2>/dev/null; done
  for n in "${!pids[@]}"; do stop_pid "${pids[$n]}" "node-$n" 60; done
  for n in "${nodes[@]}"; do remove_daemon_leftovers "$work/node-$n" "$work"; done
  for n in "${nodes[@]}" u; do
    if ip netns list | grep -qw "$tag-$n"; then ip netns del "$tag-$n"; fi
  done
  rm -rf "$work"
  exit "$rc"
}
on_exit cleanup

ip netns add "$underlay"
ip -n "$underlay" link add br0 type bridge
ip -n "$underlay" link set br0 up
for n in "${nodes[@]}"; do
  ip netns add "$tag-$n"
  ip -n "$tag-$n" link set lo up
  ip -n "$tag-$n" link add eth0 type veth peer name "u$n"
  ip -n "$tag-$n" link set "u$n" netns "$underlay"
  ip -n "$underlay" link set "u$n" master br0 up
  ip -n "$tag-$n" addr add "$(addr "$n")/24" dev eth0
  ip -n "$tag-$n" link set eth0 up
  setsid nsenter --net="/run/netns/$tag-$n" unshare --uts sh -c 'hostname "$0" && exec "$@"' "node-$n" \
    "$root/bin/flotilla" daemon --data-root "$work/node-$n" --host "$(sock "$n")" \
    >"$work/node-$n.log" 2>&1 </dev/null &
  pids[$n]=$!
done
for n in "${nodes[@]}"; do
  wait_for 90 on "$n" info || die "node-$n did not answer within 90 s: $work/node-$n.log"
done
on 1 swarm init --advertise-addr "$(addr 1)" >/dev/null
token=$(on 1 swarm join-token -q worker)
for n in 2 3; do on "$n" swarm join --token "$token" --advertise-addr "$(addr "$n")" "$(addr 1):2377" >/dev/null; done
"$root/scripts/make-web-image.sh" "$work/web-rootfs"
for n in "${nodes[@]}"; do
  on "$n" image import web "$work/web-rootfs" --change "CMD $("$root/scripts/make-web-image.sh" --cmd)" >/dev/null
done
on 1 network create -d overlay benchnet >/dev/null

running() { on 1 service ls -f "name=$1" | awk -v s="$1" '$2 == s {split($4, r, "/"); print r[1]}'; }
all_running() { [[ "$(running "$1")" == "$2" ]]; }

echo "== (a) $replicas replicas"
# Not detached, as a user types it: the command returns once all replicas run (its own progress
# polls the manager every 200 ms, in one process; a poll loop of CLI runs here would take a core
# of the two from the nodes).
start=$(now)
on 1 service create --name many --replicas "$replicas" --network benchnet web >/dev/null \
  || die "(a) service create did not converge"
create_secs=$(secs "$start" "$(now)")
all_running many "$replicas" || die "(a) service create returned with $(running many)/$replicas running"
echo "   all $replicas running after $create_secs s"
on 1 service rm many >/dev/null
containers() { # this run's runc containers (the machine may run others)
  local id n=0
  for id in $(runc list -q 2>/dev/null); do
    if compgen -G "$work/node-*/containers/$id" >/dev/null; then n=$((n + 1)); fi
  done
  echo "$n"
}
no_containers() { (($(containers) == 0)); }
wait_for 300 no_containers || die "(a) $(containers) containers left 300 s after service rm"

echo "== (b) $update_replicas replicas updated, parallelism $parallelism, delay 0"
on 1 service create -d --name web --replicas "$update_replicas" --network benchnet -p 8080:80 \
  --update-parallelism "$parallelism" --update-delay 0s web >/dev/null
wait_for 300 all_running web "$update_replicas" || die "(b) $(running web)/$update_replicas running after 300 s"
url="http://$(addr 1):8080/"
wait_for 60 nsenter --net="/run/netns/$tag-3" curl -sf -m 2 "$url" || die "(b) $url does not answer from node-3"
monitor_s=$(on 1 service inspect web | jq -r '.[0].Spec.UpdateConfig.Monitor // 5000000000 | . / 1e9')
# wrk runs for a fixed time (it prints nothing when stopped early): long enough for any update that
# converges within the deadline below; the update starts 3 s into it.
load_s=120
nsenter --net="/run/netns/$tag-3" wrk -t1 -c4 -d"${load_s}s" -H 'Connection: close' "$url" >"$work/wrk.txt" 2>&1 &
wrk_pid=$!
load_start=$(now)
sleep 3  # load before the update, not a wait for state
on 1 service update -d --force web >/dev/null
updated() { [[ "$(on 1 service inspect web | jq -r '.[0].UpdateStatus.State')" == completed ]]; }
wait_for $((load_s - 10)) updated || die "(b) the update had not completed $((load_s - 10)) s after it started"
status=$(on 1 service inspect web | jq -r '.[0].UpdateStatus | "\(.StartedAt) \(.CompletedAt)"')
read -r started completed <<<"$status"
update_secs=$(secs "$(date -d "$started" +%s.%N)" "$(date -d "$completed" +%s.%N)")
fresh=$(on 1 service ps -f desired-state=running web | awk 'NR > 1 && $6 == "Running"' | wc -l)
echo "   completed after $update_secs s (monitor $monitor_s s); $fresh/$update_replicas running"
wait "$wrk_pid" || die "(c) wrk failed: $(cat "$work/wrk.txt")"
wrk_pid=""
load_secs=$(secs "$load_start" "$(now)")
requests=$(awk '/requests in/ {print $1}' "$work/wrk.txt")
errors=$(awk '/Socket errors/ {gsub(/[^0-9]+/, " "); n = 0; for (i = 1; i <= NF; i++) n += $i; print n}' "$work/wrk.txt")
non2xx=$(awk '/Non-2xx/ {print $NF}' "$work/wrk.txt")
failed=$(( ${errors:-0} + ${non2xx:-0} ))
echo "   $requests requests in $load_secs s, $failed failed"

out="$root/bench/results/rollout-$(date -u +%Y-%m-%d-%H%M%S).md"
{
  echo "# Rollout on 3 nodes, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, commit $(git -C "$root" rev-parse --short HEAD)"
  echo
  echo "| figure | value |"
  echo "|---|---|"
  echo "| (a) $replicas replicas created, seconds until \`service create\` returns with all running | $create_secs s |"
  echo "| (b) $update_replicas replicas, \`--update-parallelism $parallelism --update-delay 0s\`, StartedAt to CompletedAt | $update_secs s |"
  echo "| (b) floor: the monitor period after the last batch | $monitor_s s |"
  echo "| (c) requests during (b) through the mesh from node-3, wrk -t1 -c4 for $load_secs s | $requests |"
  echo "| (c) failed requests (socket errors + non-2xx) | $failed |"
  echo
  echo '```'
  cat "$work/wrk.txt"
  echo '```'
} | tee "$out"
echo "(written to $out)"
((failed == 0)) || die "(c) $failed requests failed during the update"
