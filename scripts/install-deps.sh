#!/usr/bin/env bash
# Installs what Flotilla needs to build, run and test on Debian 12, skipping what is present.
set -euo pipefail
packages=(openjdk-17-jdk-headless maven runc iproute2 nftables busybox-static curl iperf3 haproxy wrk
          bind9-dnsutils dnsmasq-base procps util-linux ethtool gcc libc6-dev)
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
