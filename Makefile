.PHONY: run test bench build

# A standalone control plane on loopback, driven by kubectl (see hack/demo.sh).
run:
	./hack/demo.sh

# Every test of the workspace (installs etcd and protoc when missing).
test:
	./hack/test.sh

# Store benchmark: sqlite and etcd side by side (see docs/benchmarks.md).
bench:
	./hack/install-deps.sh
	cargo bench -p vnest-store

build:
	./hack/install-deps.sh
	cargo build --release -p vnest
