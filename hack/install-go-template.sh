#!/usr/bin/env bash
# Builds hack/helm-template (Go text/template + sprig, the engine `helm template` uses)
# into target/helm-template from Debian's Go packages, without network access for Go:
# GOPATH mode over /usr/share/gocode. Installs the packages when they are missing.
# Prints the binary's path.
set -euo pipefail
cd "$(dirname "$0")/.."
gocode=/usr/share/gocode/src
missing=()
command -v go >/dev/null 2>&1 || missing+=(golang-go)
[ -d "$gocode/github.com/Masterminds/sprig" ] || missing+=(golang-github-masterminds-sprig-dev)
[ -d "$gocode/gopkg.in/yaml.v3" ] || missing+=(golang-gopkg-yaml.v3-dev)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing ${missing[*]} (Debian packages)..." >&2
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
out="${CARGO_TARGET_DIR:-$PWD/target}/helm-template"
src=hack/helm-template/main.go
if [ ! -x "$out" ] || [ "$src" -nt "$out" ]; then
  mkdir -p "$(dirname "$out")"
  GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= GOPROXY=off \
    GOCACHE="${GOCACHE:-${TMPDIR:-/tmp}/vnest-go-cache}" \
    go build -o "$out" "$src"
fi
echo "$out"
