#!/usr/bin/env bash
# The README's run command: builds vnest, then `vnest create demo --connect` on a
# machine with no cluster: the CLI starts the embedded dev host (`vnest host up`), runs
# the virtual cluster's control plane as a background process, adds its context and
# switches to it. Plain kubectl then works against the virtual cluster, whose pods run
# on the dev host under renamed names. Everything lives under $VNEST_HOME (default
# /tmp/vnest-demo), with its own kubeconfig, so your ~/.kube/config is untouched; the
# last lines say how to go on and how to clean up.
set -euo pipefail
cd "$(dirname "$0")/.."
./hack/install-deps.sh
echo "==> building vnest" >&2
cargo build --release -p vnest --locked
vnest="$PWD/target/release/vnest"
export VNEST_HOME="${VNEST_DEMO_HOME:-/tmp/vnest-demo}"
export KUBECONFIG="$VNEST_HOME/kubeconfig"
export VNEST_DEV_HOST_LISTEN="${VNEST_DEMO_HOST_LISTEN:-127.0.0.1:16443}"
mkdir -p "$VNEST_HOME"
"$vnest" delete demo --wait >/dev/null   # a demo of an earlier run, if any
set -x
"$vnest" create demo --connect
kubectl config current-context
kubectl get namespaces
kubectl create deployment web --image=busybox --replicas=2 -- sh -c 'echo hello from $HOSTNAME; exec sleep 3600'
kubectl rollout status deployment/web --timeout=60s
kubectl get pods -o wide
kubectl logs deployment/web
kubectl --kubeconfig "$VNEST_HOME/_host/admin.kubeconfig" get pods -n vnest-demo
"$vnest" list
set +x
echo
echo "the virtual cluster demo keeps running:"
echo "  export VNEST_HOME=$VNEST_HOME KUBECONFIG=$KUBECONFIG"
echo "  kubectl get pods -A            # the virtual cluster"
echo "  $vnest delete demo   # removes it (and the dev host it started)"
