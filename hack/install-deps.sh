#!/usr/bin/env bash
# Installs what building and testing vnest needs on a fresh Debian machine, skipping
# whatever is already there:
#   protoc  - etcd-client generates its gRPC code at build time
#   etcd    - real etcd for the store's etcd backend tests and benchmarks
#   python kubernetes client - for the e2e test that uses it
set -euo pipefail
cd "$(dirname "$0")/.."
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
missing=()
command -v protoc >/dev/null 2>&1 || missing+=(protobuf-compiler)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} (Debian packages)..." >&2
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
./hack/install-etcd.sh
# The Python `kubernetes` client, for the e2e test that drives vnest with it.
if ! python3 -c "import kubernetes" >/dev/null 2>&1; then
  echo "installing the Python kubernetes client (PyPI)..." >&2
  python3 -m pip install --quiet --disable-pip-version-check "kubernetes==33.1.0"
fi
