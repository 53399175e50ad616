#!/usr/bin/env bash
# Builds a tiny busybox root filesystem in DIR: httpd, sh and the usual applets. Imported as an
# image with the command below, each task answers "Hello, <its hostname>" on port 80.
#   flotilla image import web DIR --change "CMD $(scripts/make-web-image.sh --cmd)"
set -euo pipefail
web_cmd='mkdir -p /www; echo "<p>Hello, $(hostname)</p>" > /www/index.html; trap "exit 0" TERM; httpd -f -p 80 -h /www & wait'
if [[ "${1:-}" == "--cmd" ]]; then
  printf '%s\n' "$web_cmd"
  exit 0
fi
dir="${1:?usage: make-web-image.sh DIR | --cmd}"
busybox=$(command -v busybox || echo /bin/busybox)
mkdir -p "$dir"/{bin,sbin,etc,tmp,proc,sys,dev,www,root,run,var}
cp "$busybox" "$dir/bin/busybox"
for applet in $("$busybox" --list); do
  [[ -e "$dir/bin/$applet" ]] || ln -s busybox "$dir/bin/$applet"
done
chmod 1777 "$dir/tmp"
echo 'root:x:0:0:root:/root:/bin/sh' > "$dir/etc/passwd"
echo 'root:x:0:' > "$dir/etc/group"
