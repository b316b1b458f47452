#!/usr/bin/env bash
# The one test command (README, CI): installs what is missing, then runs every test
# of the workspace, plus formatting and lint checks.
set -euo pipefail
cd "$(dirname "$0")/.."
./hack/install-deps.sh
# Go text/template + sprig, the reference the chart renderer is tested against.
./hack/install-go-template.sh >/dev/null
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
