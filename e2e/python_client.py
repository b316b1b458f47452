"""The Python `kubernetes` client against a vnest control plane.

Usage: python3 e2e/python_client.py KUBECONFIG NAMESPACE
Exits 0 when every step behaved as against kube-apiserver; prints what failed otherwise.
"""
import sys
import threading
import time

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException


def main(kubeconfig: str, ns: str) -> None:
    config.load_kube_config(config_file=kubeconfig)
    core = client.CoreV1Api()
    apps = client.AppsV1Api()

    names = [n.metadata.name for n in core.list_namespace().items]
    assert "default" in names and "kube-system" in names, names

    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=ns)))

    cm = client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name="py-settings", labels={"app": "py"}),
        data={"mode": "fast"},
    )
    created = core.create_namespaced_config_map(ns, cm)
    assert created.metadata.uid, created
    try:
        core.create_namespaced_config_map(ns, cm)
        raise AssertionError("duplicate create succeeded")
    except ApiException as e:
        assert e.status == 409, e

    # Watch from the current resourceVersion while another thread writes.
    rv = core.list_namespaced_config_map(ns).metadata.resource_version
    seen = []

    def writer():
        time.sleep(0.3)
        core.patch_namespaced_config_map("py-settings", ns, {"data": {"mode": "slow"}})
        core.create_namespaced_config_map(
            ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="py-second"))
        )

    t = threading.Thread(target=writer)
    t.start()
    w = watch.Watch()
    for ev in w.stream(
        core.list_namespaced_config_map, ns, resource_version=rv, timeout_seconds=10
    ):
        # Every namespace also gets kube-root-ca.crt; only ours count.
        if not ev["object"].metadata.name.startswith("py-"):
            continue
        seen.append((ev["type"], ev["object"].metadata.name))
        if len(seen) == 2:
            w.stop()
    t.join()
    assert seen == [("MODIFIED", "py-settings"), ("ADDED", "py-second")], seen

    got = core.read_namespaced_config_map("py-settings", ns)
    assert got.data == {"mode": "slow"}, got.data

    selected = core.list_namespaced_config_map(ns, label_selector="app=py").items
    assert [c.metadata.name for c in selected] == ["py-settings"], selected

    dep = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "py-web"},
        "spec": {
            "selector": {"matchLabels": {"app": "py-web"}},
            "template": {
                "metadata": {"labels": {"app": "py-web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx"}]},
            },
        },
    }
    apps.create_namespaced_deployment(ns, dep)
    scaled = apps.patch_namespaced_deployment_scale("py-web", ns, {"spec": {"replicas": 3}})
    assert scaled.spec.replicas == 3, scaled
    assert apps.read_namespaced_deployment("py-web", ns).spec.replicas == 3

    core.delete_namespaced_config_map("py-settings", ns)
    try:
        core.read_namespaced_config_map("py-settings", ns)
        raise AssertionError("deleted configmap still readable")
    except ApiException as e:
        assert e.status == 404, e
    print("python client: all steps passed")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
