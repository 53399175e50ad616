#!/usr/bin/env bash
# How fast the `flotilla` CLI answers: each command is a new JVM. Side by side in one run, this
# checkout and an earlier commit (by default the one before the control plane's module split),
# each against its own running one-node swarm with one service.
#
#   sudo bench/cli-latency.sh [--runs N] [--before REV]   (repo root, after the build)
#   defaults: N=30 runs of each command, REV=90e7019
#
# Commands: `flotilla service ls`, `flotilla node ls`, `flotilla --version`. For each: the median
# and p95 of the wall time, and the median peak RSS, from /usr/bin/time. The earlier commit is
# built in a git worktree under /var/tmp (removed at the end). Each side's daemon runs in a
# namespace of its own (ft-cli-<rand>, 198.18.0.1/24 on a veth whose peer stays inside); the CLI
# runs in the machine's namespace and reaches the daemon by its unix socket only.
# Writes bench/results/cli-latency-<date>.md.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
bench=cli-latency
source "$root/bench/lib.sh"

runs=30 before=90e7019
while (($#)); do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --before) before=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) unknown_argument "$1" ;;
  esac
done
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "--runs takes a positive number, got $runs"

require_root "it creates network namespaces and runc containers"
require_tools "apt-get install -y runc busybox-static" runc busybox nsenter /usr/bin/time
[[ -f "$root/control/cli/target/flotilla-cli-0.1.0-SNAPSHOT.jar" ]] || die "not built: cd $root && bin/build"
git -C "$root" rev-parse --verify -q "$before^{commit}" >/dev/null || die "no commit $before in this checkout"

work="$(mktemp -d /var/tmp/ft-cli.XXXXXX)"
node="ft-cli-$(random_tag)"
daemon_pid="" data=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  stop_daemon
  if ip netns list | grep -qw "$node"; then ip netns del "$node"; fi
  git -C "$root" worktree remove --force "$work/before" 2>/dev/null
  rm -rf "$work"
  exit "$rc"
}
stop_daemon() {
  [[ -n "$daemon_pid" ]] || return 0
  stop_pid "$daemon_pid" daemon 60
  remove_daemon_leftovers "$data" "$work"
  daemon_pid=""
}
on_exit cleanup

echo "== building $before in $work/before"
git -C "$root" worktree add -q --detach "$work/before" "$before"
(cd "$work/before" && mvn -B -q -o -DskipTests package >"$work/before-build.log" 2>&1) || die "$before did not build: $work/before-build.log"
make_node_namespace "$node" 198.18.0.1/24
"$root/scripts/make-web-image.sh" "$work/web-rootfs"

# measure SIDE CHECKOUT: starts that checkout's daemon, a swarm and a service, times the commands.
measure() {
  local side=$1 tree=$2 cmd name i
  data="$work/run-$side/data"
  local sock="unix://$work/run-$side/flotilla.sock"
  mkdir -p "$work/run-$side"
  nsenter --net="/run/netns/$node" "$tree/bin/flotilla" daemon --data-root "$data" --host "$sock" \
    >"$work/run-$side/daemon.log" 2>&1 </dev/null &
  daemon_pid=$!
  wait_for 60 "$tree/bin/flotilla" -H "$sock" info || die "$side: the daemon did not answer within 60 s"
  "$tree/bin/flotilla" -H "$sock" swarm init --advertise-addr 198.18.0.1 >/dev/null
  "$tree/bin/flotilla" -H "$sock" image import web "$work/web-rootfs" \
    --change "CMD $("$root/scripts/make-web-image.sh" --cmd)" >/dev/null
  "$tree/bin/flotilla" -H "$sock" service create -d --name web web >/dev/null
  for cmd in "service ls" "node ls" "--version"; do
    name=${cmd// /-}
    "$tree/bin/flotilla" -H "$sock" $cmd >/dev/null  # one unmeasured run: the page cache
    for ((i = 0; i < runs; i++)); do
      /usr/bin/time -f "%e %M" -a -o "$work/run-$side/$name.times" "$tree/bin/flotilla" -H "$sock" $cmd >/dev/null
    done
  done
  stop_daemon
}

# stats FILE: "median p95 rss" of a /usr/bin/time file (seconds, seconds, MiB).
stats() {
  awk '{print $1}' "$1" | sort -n | awk '{a[NR] = $1} END {m = a[int((NR + 1) / 2)]; p = a[int(NR * 0.95 + 0.999)]; printf "%.2f %.2f", m, p}'
  awk '{print $2}' "$1" | sort -n | awk '{a[NR] = $1} END {printf " %.0f\n", a[int((NR + 1) / 2)] / 1024}'
}

echo "== $before: $runs runs of each command"
measure before "$work/before"
head=$(git -C "$root" rev-parse --short HEAD)
echo "== this checkout ($head): $runs runs of each command"
measure head "$root"

out="$root/bench/results/cli-latency-$(date -u +%Y-%m-%d-%H%M%S).md"
{
  echo "# CLI latency, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $runs runs each"
  echo
  echo "| command | $before median | p95 | RSS MiB | $head median | p95 | RSS MiB |"
  echo "|---|---|---|---|---|---|---|"
  for cmd in "service ls" "node ls" "--version"; do
    name=${cmd// /-}
    read -r bm bp br < <(stats "$work/run-before/$name.times")
    read -r hm hp hr < <(stats "$work/run-head/$name.times")
    echo "| \`flotilla $cmd\` | ${bm} s | ${bp} s | $br | ${hm} s | ${hp} s | $hr |"
  done
} | tee "$out"
echo "(written to $out)"
