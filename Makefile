.PHONY: test bench build

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
