#!/usr/bin/env bash
# The README's run command: builds vnest, starts a standalone control plane on
# loopback (embedded SQLite store, fresh data dir), and drives it with plain kubectl.
# The control plane keeps running afterwards so you can go on with kubectl; the last
# lines say how to use and stop it.
set -euo pipefail
cd "$(dirname "$0")/.."
./hack/install-deps.sh
echo "==> building vnest" >&2
cargo build --release -p vnest --locked
data="${VNEST_DEMO_DIR:-$(mktemp -d /tmp/vnest-demo.XXXXXX)}"
port="${VNEST_DEMO_PORT:-16443}"
./target/release/vnest control-plane --data-dir "$data" --listen "127.0.0.1:$port" \
  >"$data/control-plane.log" 2>&1 &
pid=$!
export KUBECONFIG="$data/admin.kubeconfig"
for _ in $(seq 1 100); do
  if [ -f "$KUBECONFIG" ] && kubectl get --raw /readyz >/dev/null 2>&1; then break; fi
  sleep 0.1
done
kubectl get --raw /readyz >/dev/null || { cat "$data/control-plane.log"; kill "$pid"; exit 1; }
set -x
kubectl version
kubectl get namespaces
kubectl create namespace demo
kubectl apply -n demo -f - <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  mode: fast
YAML
kubectl get deployments,configmaps -n demo -o wide
kubectl label configmap settings -n demo tier=backend
kubectl get configmaps -n demo -l tier=backend
set +x
echo
echo "control plane (pid $pid) is still running:"
echo "  export KUBECONFIG=$KUBECONFIG"
echo "  kill $pid    # to stop it"
