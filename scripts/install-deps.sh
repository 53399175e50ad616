#!/usr/bin/env bash
# Installs what Flotilla needs to build, run, test and benchmark on Debian 12, skipping what is
# present. Essential packages (coreutils, tar, hostname, libc-bin, ...) are assumed.
set -euo pipefail
packages=(
  # build: the JDK and Maven; protoc-gen-grpc-java (fetched by the build) links libstdc++
  openjdk-17-jdk-headless maven libstdc++6
  # runtime: runc tasks, links and namespaces, nft rulesets, sysctl, overlay mounts, busybox images
  runc iproute2 nftables procps util-linux mount busybox-static
  # task logs: multilog (daemontools) stamps and rotates each container's stdout and stderr
  daemontools
  # images from registries: skopeo speaks the distribution protocol into an OCI layout, umoci
  # applies its layers to a rootfs
  skopeo umoci
  # tests: libpcap for pcap4j (the VTEP's kernel interop captures), ethtool, curl and dig clients,
  # a dnsmasq upstream, gcc -static (a UDP fixture), awk in bin/demo, strace (fsyncs of state files)
  libpcap0.8 ethtool curl bind9-dnsutils dnsmasq-base gcc libc6-dev mawk strace
  # an OCI registry in a test namespace (the CNCF distribution registry), openssl for its test CA,
  # htpasswd (apache2-utils) for its bcrypt password file
  docker-registry openssl apache2-utils
  # benches: iperf3, HAProxy, wrk, jq on iperf3's JSON (bench/dns-vs-dnsmasq-unbound.sh installs
  # dnsperf and unbound itself: the unbound package starts a resolver on the machine's port 53)
  iperf3 haproxy wrk jq
  # bench/pull.sh: containerd's `ctr image pull` is the peer of a Flotilla node's pull
  containerd
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if (( ${#missing[@]} )); then
  echo "Installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The registry package starts a registry on this machine's port 5000; the tests run their own in
# a namespace, so the machine's stays off.
if command -v systemctl >/dev/null && systemctl list-unit-files docker-registry.service >/dev/null 2>&1; then
  systemctl disable --now docker-registry.service >/dev/null 2>&1 || true
fi
# Likewise containerd: bench/pull.sh runs its own, with its own root, in a namespace.
if command -v systemctl >/dev/null && systemctl list-unit-files containerd.service >/dev/null 2>&1; then
  systemctl disable --now containerd.service >/dev/null 2>&1 || true
fi
