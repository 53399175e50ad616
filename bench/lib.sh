# Helpers the bench scripts share. A script sets `bench` (its name, for messages) and sources this
# file before it parses its arguments: `source "$root/bench/lib.sh"`.

# The calling script's header comment: its usage.
usage() { awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; }
unknown_argument() { echo "$bench: unknown argument $1 (try --help)" >&2; exit 2; }
die() { echo "$bench: $*" >&2; exit 1; }
require_root() { ((EUID == 0)) || die "run as root ($*)"; }

# require_tools HINT TOOL...: dies naming the first TOOL not on PATH, with HINT (how to install).
require_tools() {
  local hint=$1 tool; shift
  for tool; do command -v "$tool" >/dev/null || die "$tool is missing${hint:+: $hint}"; done
}

# Six hex digits for names this run makes (namespaces), so concurrent runs never collide.
random_tag() { printf '%06x' $((RANDOM * 32768 + RANDOM)); }

wait_for() { # wait_for SECONDS COMMAND...: polls every 0.2 s until COMMAND succeeds
  local tries=$(($1 * 5)); shift
  until "$@" >/dev/null 2>&1; do
    ((--tries > 0)) || return 1
    sleep 0.2
  done
}

# stop_pid PID NAME [SECONDS]: SIGTERM, SIGKILL if still there after SECONDS (default 20), reaped.
stop_pid() {
  local p=$1 name=$2 secs=${3:-20}
  [[ -n "$p" ]] || return 0
  if kill -TERM "$p" 2>/dev/null; then
    wait_for "$secs" bash -c "! kill -0 $p" || { echo "$name did not stop in $secs s: SIGKILL" >&2; kill -KILL "$p" 2>/dev/null; }
  fi
  wait "$p" 2>/dev/null || true
}

# on_exit FUNCTION: FUNCTION runs on exit, on failure, on Ctrl-C (exit 130) and on SIGTERM (143).
on_exit() {
  trap "$1" EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# remove_daemon_leftovers DATA_ROOT WORK_DIR: what a Flotilla daemon with that data root left if it
# did not stop cleanly: its runc containers, the mounts under WORK_DIR, its fl-<tag>-* namespaces.
remove_daemon_leftovers() {
  local data=$1 work=$2 id mnt ns tag
  for id in $(runc list -q 2>/dev/null); do
    if [[ -d "$data/containers/$id" ]]; then runc delete --force "$id"; fi
  done
  for mnt in $(awk -v d="$work/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r); do umount -l "$mnt"; done
  tag=$("$root/bin/flotilla" daemon --data-root "$data" --print-namespace-tag)
  for ns in $(ip netns list | awk '{print $1}' | grep -E "^fl-$tag-"); do ip netns del "$ns"; done
  return 0
}

# make_node_namespace NAME CIDR: a namespace standing for a host: lo up and eth0 with CIDR (a veth
# whose peer stays inside, so nothing leaves it).
make_node_namespace() {
  local ns=$1 cidr=$2
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  ip -n "$ns" link add eth0 type veth peer name eth0p
  ip -n "$ns" addr add "$cidr" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set eth0p up
}
