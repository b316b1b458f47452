#!/usr/bin/env bash
# Installs etcd (Debian's etcd-server 3.4) when it is missing. The store's etcd backend
# tests and the store benchmark start their own etcd process on 127.0.0.1 with it.
set -euo pipefail
if command -v etcd >/dev/null 2>&1 || [ -n "${VNEST_ETCD_BIN:-}" ]; then
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing etcd-server (Debian package)..." >&2
$sudo apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq etcd-server >/dev/null
# The package may start a system etcd on 2379; the tests never use it.
etcd --version | head -1 >&2
