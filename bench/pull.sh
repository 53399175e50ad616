#!/usr/bin/env bash
# Pulling images from a registry, in one run:
#   (a) a 5-layer image of about 200 MB (random, so gzip cannot shrink it) pulled by one Flotilla
#       node (`flotilla image pull`: skopeo into the node's layer store, umoci onto a rootfs) and by
#       containerd (`ctr image pull`, fetch and unpack into its overlayfs snapshotter), each with an
#       empty store: seconds per pull, median of R rounds;
#   (b) the same with all but one layer cached: an image sharing the first 4 layers, pulled right
#       after (a)'s;
#   (c) `service create --replicas 30` of a third such image no node has yet, on 3 nodes: seconds
#       until the command (not detached) returns with all 30 running.
#
#   sudo bench/pull.sh [--rounds R]   (repo root, after the build; default R=3)
#
# The registry (Debian's docker-registry, plain HTTP) runs in namespace ft-pl-<rand>-r at
# 198.18.0.10:5000; containerd (its own --root, --state and socket, CRI off) in ft-pl-<rand>-c; the
# Flotilla nodes in ft-pl-<rand>-1..3 (198.18.0.1-3, `--insecure-registry 198.18.0.10:5000`), all on
# one bridge in ft-pl-<rand>-u. Each round of (a) and (b) starts both with empty data roots.
# Writes bench/results/pull-<date>.md.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
bench=pull
source "$root/bench/lib.sh"

rounds=3
while (($#)); do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) unknown_argument "$1" ;;
  esac
done
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || die "--rounds takes a positive number, got $rounds"

require_root "it creates network namespaces, a registry, containerd and runc containers"
require_tools "bash scripts/install-deps.sh" runc busybox nsenter unshare docker-registry skopeo umoci containerd ctr \
  openssl curl jq
[[ -f "$root/control/cli/target/flotilla-cli-0.1.0-SNAPSHOT.jar" ]] || die "not built: cd $root && bin/build"

work="$(mktemp -d /var/tmp/ft-pull.XXXXXX)"
tag="ft-pl-$(random_tag)"
registry=198.18.0.10:5000
declare -A pids=()
addr() { echo "198.18.0.$1"; }
sock() { echo "unix://$work/node-$1.sock"; }
on() { local n=$1; shift; "$root/bin/flotilla" -H "$(sock "$n")" "$@"; }
in_ns() { local ns=$1; shift; nsenter --net="/run/netns/$tag-$ns" "$@"; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", b - a}'; }
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
ctr_() { in_ns c ctr --address "$work/containerd/containerd.sock" --namespace bench "$@"; }

cleanup() {
  local rc=$? n
  trap - EXIT INT TERM
  set +e
  for n in "${!pids[@]}"; do stop_pid "${pids[$n]}" "$n" 60; done
  for n in "$work"/node-*/; do [[ -d "$n" ]] && remove_daemon_leftovers "${n%/}" "$work"; done
  for mnt in $(awk -v d="$work/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r); do umount -l "$mnt"; done
  for n in 1 2 3 r c u; do
    if ip netns list | grep -qw "$tag-$n"; then ip netns del "$tag-$n"; fi
  done
  rm -rf --one-file-system "$work"
  exit "$rc"
}
on_exit cleanup

ip netns add "$tag-u"
ip -n "$tag-u" link add br0 type bridge
ip -n "$tag-u" link set br0 up
attach() { # attach NAME ADDRESS: a namespace on the bridge
  ip netns add "$tag-$1"
  ip -n "$tag-$1" link set lo up
  ip -n "$tag-$1" link add eth0 type veth peer name "u$1"
  ip -n "$tag-$1" link set "u$1" netns "$tag-u"
  ip -n "$tag-u" link set "u$1" master br0 up
  ip -n "$tag-$1" addr add "$2/24" dev eth0
  ip -n "$tag-$1" link set eth0 up
}
attach r 198.18.0.10
attach c 198.18.0.20
for n in 1 2 3; do attach "$n" "$(addr "$n")"; done

echo "== registry at $registry"
mkdir -p "$work/registry"
cat >"$work/registry/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $work/registry/data
http:
  addr: $registry
EOF
setsid nsenter --net="/run/netns/$tag-r" docker-registry serve "$work/registry/config.yml" \
  >"$work/registry.log" 2>&1 </dev/null &
pids[registry]=$!
wait_for 30 in_ns r curl -sf "http://$registry/v2/" || die "the registry did not answer: $work/registry.log"

echo "== images: 5 layers of 40 MB each (a base with busybox), pushed gzip-compressed"
layout="$work/layout"
umoci init --layout "$layout"
"$root/scripts/make-web-image.sh" "$work/base-rootfs" >/dev/null
web_cmd=$("$root/scripts/make-web-image.sh" --cmd)
# add_layer TAG NAME: one more layer holding 40 MiB of bytes that only NAME determines.
add_layer() {
  local bundle="$work/bundle-$1"
  umoci unpack --image "$layout:$1" "$bundle" >/dev/null
  if [[ "$2" == 1 ]]; then rm -rf "$bundle/rootfs" && cp -a "$work/base-rootfs" "$bundle/rootfs"; fi
  { openssl enc -aes-128-ctr -pass "pass:flotilla-bench-$2" -nosalt </dev/zero 2>/dev/null || true; } \
    | head -c $((40 << 20)) >"$bundle/rootfs/layer-$2.bin"
  umoci repack --image "$layout:$1" "$bundle"
  rm -rf "$bundle"
}
# Layers 1-4 once; each tag is them plus a fifth of its own.
umoci new --image "$layout:base"
for i in 1 2 3 4; do add_layer base "$i"; done
for t in 1 2 3; do
  umoci tag --image "$layout:base" "$t"
  add_layer "$t" "5-$t"
  umoci config --image "$layout:$t" --config.cmd sh --config.cmd -c --config.cmd "$web_cmd"
  in_ns r skopeo copy -q --dest-tls-verify=false --dest-compress --dest-compress-format gzip \
    "oci:$layout:$t" "docker://$registry/bench/big:$t"
done
layers=$(in_ns r curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
  -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "http://$registry/v2/bench/big/manifests/1" \
  | jq '.layers | length')
bytes=$(in_ns r curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
  -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "http://$registry/v2/bench/big/manifests/1" \
  | jq '[.layers[].size] | add')
echo "   $layers layers, $((bytes >> 20)) MiB compressed"

start_node() { # start_node N DATA_ROOT
  setsid nsenter --net="/run/netns/$tag-$1" unshare --uts sh -c 'hostname "$0" && exec "$@"' "node-$1" \
    "$root/bin/flotilla" daemon --data-root "$2" --host "$(sock "$1")" --insecure-registry "$registry" \
    >>"$work/node-$1.log" 2>&1 </dev/null &
  pids[node-$1]=$!
  wait_for 90 on "$1" info || die "node-$1 did not answer within 90 s: $work/node-$1.log"
}
stop_node() { stop_pid "${pids[node-$1]}" "node-$1" 60; unset "pids[node-$1]"; }
start_containerd() { # start_containerd ROOT
  mkdir -p "$1"
  cat >"$work/containerd.toml" <<EOF
version = 2
disabled_plugins = ["io.containerd.grpc.v1.cri"]
EOF
  setsid nsenter --net="/run/netns/$tag-c" containerd --config "$work/containerd.toml" --root "$1/root" \
    --state "$1/state" --address "$work/containerd/containerd.sock" >>"$work/containerd.log" 2>&1 </dev/null &
  pids[containerd]=$!
  wait_for 30 ctr_ version || die "containerd did not answer: $work/containerd.log"
}
timed() { local start; start=$(now); "$@" >/dev/null || die "failed: $*"; secs "$start" "$(now)"; }

declare -a fl_cold fl_warm ctr_cold ctr_warm
for ((r = 1; r <= rounds; r++)); do
  echo "== round $r of $rounds"
  start_node 1 "$work/node-1-round-$r"
  fl_cold+=("$(timed on 1 image pull "$registry/bench/big:1")")
  fl_warm+=("$(timed on 1 image pull "$registry/bench/big:2")")
  stop_node 1
  remove_daemon_leftovers "$work/node-1-round-$r" "$work"
  rm -rf --one-file-system "$work/node-1-round-$r"
  start_containerd "$work/containerd-round-$r"
  ctr_cold+=("$(timed ctr_ image pull --plain-http "$registry/bench/big:1")")
  ctr_warm+=("$(timed ctr_ image pull --plain-http "$registry/bench/big:2")")
  stop_pid "${pids[containerd]}" containerd 30
  unset "pids[containerd]"
  for mnt in $(awk -v d="$work/containerd-round-$r/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r); do
    umount -l "$mnt"
  done
  rm -rf --one-file-system "$work/containerd-round-$r"
  echo "   flotilla ${fl_cold[-1]} s cold, ${fl_warm[-1]} s warm; containerd ${ctr_cold[-1]} s cold, ${ctr_warm[-1]} s warm"
done

echo "== (c) 30 replicas of an image no node has, on 3 nodes"
for n in 1 2 3; do start_node "$n" "$work/node-$n"; done
on 1 swarm init --advertise-addr "$(addr 1)" >/dev/null
token=$(on 1 swarm join-token -q worker)
for n in 2 3; do on "$n" swarm join --token "$token" --advertise-addr "$(addr "$n")" "$(addr 1):2377" >/dev/null; done
start=$(now)
on 1 service create --name big --replicas 30 "$registry/bench/big:3" >/dev/null || die "(c) service create did not converge"
create_secs=$(secs "$start" "$(now)")
running=$(on 1 service ls -f name=big | awk '$2 == "big" {split($4, r, "/"); print r[1]}')
[[ "$running" == 30 ]] || die "(c) service create returned with $running/30 running"
echo "   all 30 running after $create_secs s"
on 1 service rm big >/dev/null

m() { printf '%s\n' "$@" | median; }
out="$root/bench/results/pull-$(date -u +%Y-%m-%d-%H%M%S).md"
{
  echo "# Image pulls, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, commit $(git -C "$root" rev-parse --short HEAD)"
  echo
  echo "Image: $layers layers, $((bytes >> 20)) MiB gzip-compressed, from docker-registry over plain HTTP on a veth bridge."
  echo "Seconds, median of $rounds rounds (all rounds: flotilla cold ${fl_cold[*]}, warm ${fl_warm[*]};"
  echo "containerd $(containerd --version | awk '{print $3}') cold ${ctr_cold[*]}, warm ${ctr_warm[*]})."
  echo
  echo "| pull | Flotilla node (\`flotilla image pull\`) | containerd (\`ctr image pull\`) |"
  echo "|---|---|---|"
  echo "| (a) cold: empty store | $(m "${fl_cold[@]}") s | $(m "${ctr_cold[@]}") s |"
  echo "| (b) all but one layer cached | $(m "${fl_warm[@]}") s | $(m "${ctr_warm[@]}") s |"
  echo
  echo "| (c) \`service create --replicas 30\` of a new image on 3 nodes, until all run | $create_secs s |"
  echo "|---|---|"
} | tee "$out"
echo "(written to $out)"
