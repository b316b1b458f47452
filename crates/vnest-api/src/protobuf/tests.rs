use serde_json::{json, Value};

use super::*;

// ---- bodies captured from kubectl 1.32/1.33 (shared/reference/kubectl-1.32-requests.txt) ----

const CONFIGMAP: &[u8] = b"k8s\x00\n\x0f\n\x02v1\x12\tConfigMap\x12\x1c\n\x12\n\x02c1\x12\x00\x1a\x00\"\x00*\x002\x008\x00B\x00\x12\x06\n\x01a\x12\x01b\x1a\x00\"\x00";
const SECRET: &[u8] = b"k8s\x00\n\x0c\n\x02v1\x12\x06Secret\x12\x1e\n\x12\n\x02s1\x12\x00\x1a\x00\"\x00*\x002\x008\x00B\x00\x12\x06\n\x01a\x12\x01b\x1a\x00\x1a\x00\"\x00";
const TOKEN_REQUEST: &[u8] = b"k8s\x00\n(\n\x18authentication.k8s.io/v1\x12\x0cTokenRequest\x12\x1a\n\x10\n\x00\x12\x00\x1a\x00\"\x00*\x002\x008\x00B\x00\x12\x00\x1a\x04\n\x00\x12\x00\x1a\x00\"\x00";
const SSAR_GET: &[u8] = b"k8s\x00\n2\n\x17authorization.k8s.io/v1\x12\x17SelfSubjectAccessReview\x12<\n\x10\n\x00\x12\x00\x1a\x00\"\x00*\x002\x008\x00B\x00\x12\x1e\n\x1c\n\x07default\x12\x03get\x1a\x00\"\x00*\x04pods2\x00:\x00\x1a\x08\x08\x00\x12\x00\x1a\x00 \x00\x1a\x00\"\x00";
const SSAR_CREATE: &[u8] = b"k8s\x00\n2\n\x17authorization.k8s.io/v1\x12\x17SelfSubjectAccessReview\x12?\n\x10\n\x00\x12\x00\x1a\x00\"\x00*\x002\x008\x00B\x00\x12!\n\x1f\n\x07default\x12\x06create\x1a\x00\"\x00*\x04pods2\x00:\x00\x1a\x08\x08\x00\x12\x00\x1a\x00 \x00\x1a\x00\"\x00";
const SSRR: &[u8] = b"k8s\x00\n1\n\x17authorization.k8s.io/v1\x12\x16SelfSubjectRulesReview\x12#\n\x10\n\x00\x12\x00\x1a\x00\"\x00*\x002\x008\x00B\x00\x12\t\n\x07default\x1a\x04\x18\x00\"\x00\x1a\x00\"\x00";
const SSR_V1: &[u8] = b"k8s\x00\n-\n\x18authentication.k8s.io/v1\x12\x11SelfSubjectReview\x12\x1a\n\x10\n\x00\x12\x00\x1a\x00\"\x00*\x002\x008\x00B\x00\x12\x06\n\x04\n\x00\x12\x00\x1a\x00\"\x00";
const SSR_V1BETA1: &[u8] = b"k8s\x00\n2\n\x1dauthentication.k8s.io/v1beta1\x12\x11SelfSubjectReview\x12\x1a\n\x10\n\x00\x12\x00\x1a\x00\"\x00*\x002\x008\x00B\x00\x12\x06\n\x04\n\x00\x12\x00\x1a\x00\"\x00";
const NAMESPACE: &[u8] = b"k8s\x00\n\x0f\n\x02v1\x12\tNamespace\x12\x1a\n\x12\n\x02n1\x12\x00\x1a\x00\"\x00*\x002\x008\x00B\x00\x12\x00\x1a\x02\n\x00\x1a\x00\"\x00";
/// `kubectl create deployment x --image=nginx`: the capture stops inside the
/// PodSpec (at its hostIPC field); [`DEPLOYMENT_REST`] completes it.
const DEPLOYMENT_CAPTURED: &[u8] = b"k8s\x00\n\x15\n\x07apps/v1\x12\nDeployment\x12\xa3\x01\n\x1b\n\x01x\x12\x00\x1a\x00\"\x00*\x002\x008\x00B\x00Z\x08\n\x03app\x12\x01x\x12v\x08\x01\x12\n\n\x08\n\x03app\x12\x01x\x1a^\n\x1a\n\x00\x12\x00\x1a\x00\"\x00*\x002\x008\x00B\x00Z\x08\n\x03app\x12\x01x\x12@\x12\"\n\x05nginx\x12\x05nginx*\x00B\x00j\x00r\x00\x80\x01\x00\x88\x01\x00\x90\x01\x00\xa2\x01\x00\x1a\x002\x00B\x00J\x00R\x00X\x00`\x00";
/// The rest, as gogo-protobuf writes it: PodSpec hostIPC, hostname, subdomain,
/// schedulerName, priorityClassName; DeploymentSpec strategy {type ""},
/// minReadySeconds, paused; DeploymentStatus with six zero counters. The
/// lengths declared by the captured prefix (163-byte object, 118-byte spec,
/// 64-byte PodSpec) add up exactly with these bytes.
const DEPLOYMENT_REST: &[u8] = b"h\x00\x82\x01\x00\x8a\x01\x00\x9a\x01\x00\xc2\x01\x00\"\x02\n\x00(\x008\x00\x1a\x0c\x08\x00\x10\x00\x18\x00 \x00(\x008\x00";

/// What kubectl 1.31 sent as JSON for the same commands.
const CONFIGMAP_JSON_131: &str = r#"{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"c1","creationTimestamp":null},"data":{"a":"b"}}"#;
const SSAR_JSON_131: &str = r#"{"kind":"SelfSubjectAccessReview","apiVersion":"authorization.k8s.io/v1","metadata":{"creationTimestamp":null},"spec":{"resourceAttributes":{"namespace":"default","verb":"get","resource":"pods"}},"status":{"allowed":false}}"#;

fn deployment() -> Vec<u8> {
    [DEPLOYMENT_CAPTURED, DEPLOYMENT_REST].concat()
}

fn decode(body: &[u8]) -> Value {
    match decode_request(body) {
        Ok(d) => d.object,
        Err(e) => panic!("decode failed: {e}"),
    }
}

fn decode_err(body: &[u8]) -> ProtobufError {
    match decode_request(body) {
        Ok(d) => panic!("expected an error, got {}", d.object),
        Err(e) => e,
    }
}

/// kubectl 1.31's JSON minus the `creationTimestamp: null` Go prints for a zero Time.
fn json_131(text: &str) -> Value {
    let mut v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("creationTimestamp");
    }
    v
}

// ---- a small encoder for hand-built messages ----

fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn key(tag: u32, wire: u8) -> Vec<u8> {
    let mut out = Vec::new();
    varint((u64::from(tag) << 3) | u64::from(wire), &mut out);
    out
}

/// A varint field.
fn v(tag: u32, value: u64) -> Vec<u8> {
    let mut out = key(tag, 0);
    varint(value, &mut out);
    out
}

/// A length-delimited field.
fn l(tag: u32, data: &[u8]) -> Vec<u8> {
    let mut out = key(tag, 2);
    varint(data.len() as u64, &mut out);
    out.extend_from_slice(data);
    out
}

fn s(tag: u32, text: &str) -> Vec<u8> {
    l(tag, text.as_bytes())
}

/// A message made of fields.
fn m(fields: &[Vec<u8>]) -> Vec<u8> {
    fields.concat()
}

/// A map entry field.
fn entry(tag: u32, k: &str, value: &[u8]) -> Vec<u8> {
    l(tag, &m(&[s(1, k), l(2, value)]))
}

fn envelope(api_version: &str, kind: &str, raw: &[u8]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend(m(&[
        l(1, &m(&[s(1, api_version), s(2, kind)])),
        l(2, raw),
        s(3, ""),
        s(4, ""),
    ]));
    out
}

/// ObjectMeta with a name, written like gogo does (all non-pointer fields).
fn meta(name: &str) -> Vec<u8> {
    m(&[
        s(1, name),
        s(2, ""),
        s(3, ""),
        s(5, ""),
        s(6, ""),
        v(7, 0),
        l(8, b""),
    ])
}

// ---- the captured kubectl bodies ----

#[test]
fn configmap_matches_kubectl_131_json() {
    let got = decode(CONFIGMAP);
    assert_eq!(
        got,
        json!({"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"c1"},"data":{"a":"b"}})
    );
    assert_eq!(got, json_131(CONFIGMAP_JSON_131));
    let d = decode_request(CONFIGMAP).ok();
    assert_eq!(
        d.map(|d| (d.api_version, d.kind)),
        Some(("v1".to_string(), "ConfigMap".to_string()))
    );
}

#[test]
fn ssar_matches_kubectl_131_json() {
    assert_eq!(decode(SSAR_GET), json_131(SSAR_JSON_131));
    assert_eq!(
        decode(SSAR_CREATE)["spec"]["resourceAttributes"],
        json!({"namespace":"default","verb":"create","resource":"pods"})
    );
    // `allowed` has no omitempty: false is kept
    assert_eq!(decode(SSAR_CREATE)["status"], json!({"allowed": false}));
}

#[test]
fn secret_data_is_base64() {
    assert_eq!(
        decode(SECRET),
        json!({"kind":"Secret","apiVersion":"v1","metadata":{"name":"s1"},"data":{"a":"Yg=="}})
    );
}

#[test]
fn token_request_review_and_namespace() {
    assert_eq!(
        decode(TOKEN_REQUEST),
        json!({"kind":"TokenRequest","apiVersion":"authentication.k8s.io/v1","metadata":{}})
    );
    assert_eq!(
        decode(SSR_V1),
        json!({"kind":"SelfSubjectReview","apiVersion":"authentication.k8s.io/v1","metadata":{}})
    );
    assert_eq!(
        decode(NAMESPACE),
        json!({"kind":"Namespace","apiVersion":"v1","metadata":{"name":"n1"}})
    );
    assert_eq!(
        decode(SSRR),
        json!({
            "kind":"SelfSubjectRulesReview","apiVersion":"authorization.k8s.io/v1",
            "metadata":{},"spec":{"namespace":"default"},"status":{"incomplete":false}
        })
    );
}

#[test]
fn deployment_from_kubectl_create() {
    let body = deployment();
    // the lengths the captured prefix declares: 4 + 2+21 (typeMeta) + 3+163 (raw)
    assert_eq!(body.len(), 193);
    assert_eq!(
        decode(&body),
        json!({
            "kind": "Deployment",
            "apiVersion": "apps/v1",
            "metadata": {"name": "x", "labels": {"app": "x"}},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "x"}},
                "template": {
                    "metadata": {"labels": {"app": "x"}},
                    "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}
                }
            }
        })
    );
}

#[test]
fn truncated_capture_is_a_bad_request() {
    let err = decode_err(DEPLOYMENT_CAPTURED);
    // the envelope's raw field is cut short
    assert_eq!(err, ProtobufError::Envelope(WireError::UnexpectedEof));
    assert_eq!(
        err.bad_request_message("Deployment", DEPLOYMENT_CAPTURED),
        "the object provided is unrecognized (must be of type Deployment): unexpected EOF \
         (6b3873000a150a07617070732f7631120a4465706c6f796d656e7412a301 ...)"
    );
    // a complete envelope whose object is cut: the kind is known
    let raw = &deployment()[27..];
    let body = envelope("apps/v1", "Deployment", &raw[..raw.len() - 20]);
    let err = decode_err(&body);
    assert_eq!(err.body_kind(), Some(("apps/v1", "Deployment")));
    assert_eq!(
        err.bad_request_message("Deployment", &body),
        "Deployment in version \"v1\" cannot be handled as a Deployment: unexpected EOF"
    );
}

#[test]
fn unserved_versions_are_unknown_kinds() {
    let err = decode_err(SSR_V1BETA1);
    assert!(err.is_unknown_kind());
    assert_eq!(
        err.to_string(),
        "no kind \"SelfSubjectReview\" is registered for version \"authentication.k8s.io/v1beta1\" \
         in scheme \"pkg/api/legacyscheme/scheme.go:30\""
    );
    assert!(decode_err(&envelope("example.com/v1", "Widget", b"")).is_unknown_kind());
    assert!(!decode_err(b"nope").is_unknown_kind());
}

// ---- envelope errors ----

#[test]
fn envelope_errors() {
    assert_eq!(decode_err(b""), ProtobufError::EmptyData);
    assert_eq!(
        decode_err(b"{\"kind\":\"Pod\"}"),
        ProtobufError::MissingPrefix
    );
    assert_eq!(decode_err(b"k8s"), ProtobufError::MissingPrefix);
    assert_eq!(decode_err(b"k8s\0"), ProtobufError::EmptyBody);
    assert_eq!(
        decode_err(b"k8s\0\x0a\x05ab"),
        ProtobufError::Envelope(WireError::UnexpectedEof)
    );
    assert_eq!(
        decode_err(b"k8s\0\x08\x01").to_string(),
        "proto: wrong wireType = 0 for field TypeMeta"
    );
    let no_kind = envelope("v1", "", &l(1, &meta("a")));
    assert_eq!(
        decode_err(&no_kind).to_string(),
        "Object 'Kind' is missing in 'runtime.TypeMeta{APIVersion:\"v1\", Kind:\"\"}'"
    );
    let no_version = envelope("", "ConfigMap", &l(1, &meta("a")));
    let err = decode_err(&no_version);
    assert_eq!(
        err.bad_request_message("ConfigMap", &no_version),
        "ConfigMap in version \"\" cannot be handled as a ConfigMap: Object 'apiVersion' is \
         missing in 'runtime.TypeMeta{APIVersion:\"\", Kind:\"ConfigMap\"}'"
    );
    // the request path's kind fills the gaps, as in kube's copyKindDefaults
    let d = decode_request_with_default(&no_version, Some(("v1", "ConfigMap")));
    assert_eq!(
        d.map(|d| d.object["metadata"]["name"].clone()).ok(),
        Some(json!("a"))
    );
    let d = decode_request_with_default(&no_kind, Some(("v1", "ConfigMap")));
    assert_eq!(d.map(|d| d.kind).ok().as_deref(), Some("ConfigMap"));
    assert_eq!(
        ProtobufError::EmptyData.bad_request_message("Pod", b""),
        "the object provided is unrecognized (must be of type Pod): empty data (<empty>)"
    );
    assert_eq!(
        ProtobufError::MissingPrefix.bad_request_message("Pod", b"{\"a\":1}"),
        "the object provided is unrecognized (must be of type Pod): provided data does not \
         appear to be a protobuf message, expected prefix [107 56 115 0] ({\"a\":1})"
    );
}

// ---- zero values, pointers, special types ----

#[test]
fn pointer_zeros_are_kept_and_plain_zeros_dropped() {
    let pod_spec = m(&[
        l(2, &m(&[s(1, "c"), s(2, "img"), l(8, b""), v(16, 0)])),
        v(4, 0),  // terminationGracePeriodSeconds (pointer): kept
        v(11, 0), // hostNetwork (plain bool): dropped
        v(21, 0), // automountServiceAccountToken (pointer): kept
        v(30, 0), // enableServiceLinks (pointer): kept
        s(19, ""),
    ]);
    let spec = m(&[
        v(1, 0), // replicas 0
        l(2, b""),
        l(3, &m(&[l(1, b""), l(2, &pod_spec)])),
        l(
            4,
            &m(&[
                s(1, "RollingUpdate"),
                l(
                    2,
                    &m(&[
                        l(1, &m(&[v(1, 0), v(2, 0)])),
                        l(2, &m(&[v(1, 1), s(3, "25%")])),
                    ]),
                ),
            ]),
        ),
        v(5, 0), // minReadySeconds (plain): dropped
        v(6, 0), // revisionHistoryLimit (pointer): kept
        v(7, 0), // paused: dropped
    ]);
    let body = envelope(
        "apps/v1",
        "Deployment",
        &m(&[l(1, &meta("d")), l(2, &spec)]),
    );
    let got = decode(&body);
    assert_eq!(
        got["spec"],
        json!({
            "replicas": 0,
            // an empty label selector matches everything: kept
            "selector": {},
            "template": {"spec": {
                "containers": [{"name": "c", "image": "img"}],
                "terminationGracePeriodSeconds": 0,
                "automountServiceAccountToken": false,
                "enableServiceLinks": false
            }},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "25%"}},
            "revisionHistoryLimit": 0
        })
    );
}

#[test]
fn volumes_inline_structs_and_presence() {
    let volumes = [
        // emptyDir: {} selects the volume type and must survive
        l(
            1,
            &m(&[s(1, "scratch"), l(2, &m(&[l(2, &m(&[s(1, "")]))]))]),
        ),
        // configMap embeds LocalObjectReference inline: name sits next to defaultMode
        l(
            1,
            &m(&[
                s(1, "cfg"),
                l(
                    2,
                    &m(&[l(
                        19,
                        &m(&[l(1, &m(&[s(1, "my-cm")])), v(3, 0o644), v(4, 0)]),
                    )]),
                ),
            ]),
        ),
    ];
    let pod = m(&[
        l(1, &meta("p")),
        l(2, &m(&[volumes[0].clone(), volumes[1].clone()])),
    ]);
    let got = decode(&envelope("v1", "Pod", &pod));
    assert_eq!(
        got["spec"]["volumes"],
        json!([
            {"name": "scratch", "emptyDir": {}},
            {"name": "cfg", "configMap": {"name": "my-cm", "defaultMode": 420, "optional": false}}
        ])
    );
    // Probe embeds ProbeHandler inline
    let probe = m(&[
        l(
            1,
            &m(&[l(
                2,
                &m(&[s(1, "/healthz"), l(2, &m(&[v(1, 1), s(3, "http")]))]),
            )]),
        ),
        v(2, 5),
    ]);
    let container = m(&[s(1, "c"), l(10, &probe)]);
    let got = decode(&envelope("v1", "Pod", &m(&[l(2, &m(&[l(2, &container)]))])));
    assert_eq!(
        got["spec"]["containers"][0]["livenessProbe"],
        json!({"httpGet": {"path": "/healthz", "port": "http"}, "initialDelaySeconds": 5})
    );
}

#[test]
fn list_elements_and_map_values_are_never_dropped() {
    // rbac apiGroups [""] means the core group
    let rule = m(&[s(1, "get"), s(2, ""), s(3, "pods")]);
    let got = decode(&envelope(
        "rbac.authorization.k8s.io/v1",
        "Role",
        &m(&[l(1, &meta("r")), l(2, &rule)]),
    ));
    assert_eq!(
        got["rules"],
        json!([{"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]}])
    );
    // configmap values may be empty; a NetworkPolicy rule list of one empty rule allows all
    let cm = m(&[
        l(1, &meta("c")),
        entry(2, "empty", b""),
        entry(2, "a", b"1"),
    ]);
    assert_eq!(
        decode(&envelope("v1", "ConfigMap", &cm))["data"],
        json!({"empty": "", "a": "1"})
    );
    let np = m(&[l(1, &meta("n")), l(2, &m(&[l(1, b""), l(2, b"")]))]);
    assert_eq!(
        decode(&envelope("networking.k8s.io/v1", "NetworkPolicy", &np))["spec"],
        json!({"podSelector": {}, "ingress": [{}]})
    );
}

#[test]
fn quantities_int_or_string_and_times() {
    let resources = m(&[
        entry(1, "cpu", &s(1, "500m")),
        entry(1, "memory", &s(1, "1Gi")),
        entry(2, "cpu", b""),
    ]);
    let container = m(&[s(1, "c"), l(8, &resources)]);
    let pod = m(&[
        l(
            1,
            &m(&[s(1, "p"), l(8, &m(&[v(1, 1704164705), v(2, 5)])), l(9, b"")]),
        ),
        l(2, &m(&[l(2, &container)])),
    ]);
    let got = decode(&envelope("v1", "Pod", &pod));
    assert_eq!(
        got["metadata"],
        json!({"name": "p", "creationTimestamp": "2024-01-02T03:05:05Z"})
    );
    assert_eq!(
        got["spec"]["containers"][0]["resources"],
        json!({"limits": {"cpu": "500m", "memory": "1Gi"}, "requests": {"cpu": "0"}})
    );
    // MicroTime keeps microseconds
    let lease = m(&[
        l(1, &meta("l")),
        l(
            2,
            &m(&[
                s(1, "me"),
                v(2, 15),
                l(4, &m(&[v(1, 1704164705), v(2, 123_456_789)])),
                v(5, 0),
            ]),
        ),
    ]);
    assert_eq!(
        decode(&envelope("coordination.k8s.io/v1", "Lease", &lease))["spec"],
        json!({"holderIdentity": "me", "leaseDurationSeconds": 15, "renewTime": "2024-01-02T03:05:05.123456Z", "leaseTransitions": 0})
    );
    // a service's targetPort: number or name
    let port = |target: Vec<u8>| m(&[s(1, "http"), s(2, "TCP"), v(3, 80), l(4, &target), v(5, 0)]);
    let svc = m(&[
        l(1, &meta("s")),
        l(
            2,
            &m(&[
                l(1, &port(m(&[v(1, 0), v(2, 8080), s(3, "")]))),
                l(1, &port(m(&[v(1, 1), v(2, 0), s(3, "web")]))),
            ]),
        ),
    ]);
    assert_eq!(
        decode(&envelope("v1", "Service", &svc))["spec"]["ports"],
        json!([
            {"name": "http", "protocol": "TCP", "port": 80, "targetPort": 8080},
            {"name": "http", "protocol": "TCP", "port": 80, "targetPort": "web"}
        ])
    );
    let bad = m(&[l(2, &m(&[l(1, &port(m(&[v(1, 7)])))]))]);
    assert_eq!(
        decode_err(&envelope("v1", "Service", &bad)).to_string(),
        "impossible IntOrString.Type"
    );
    let far = m(&[l(1, &m(&[s(1, "p"), l(8, &m(&[v(1, 253_402_300_800)]))]))]);
    assert_eq!(
        decode_err(&envelope("v1", "Pod", &far)).to_string(),
        "Time.MarshalJSON: year outside of range [0,9999]"
    );
}

#[test]
fn repeated_scalars_packed_and_unpacked() {
    let mut packed = Vec::new();
    for g in [1000u64, 2000] {
        varint(g, &mut packed);
    }
    // supplementalGroups (int64, field 4): one packed run, then one unpacked value
    let sc = m(&[l(4, &packed), v(4, 3000), v(2, 0)]);
    let pod = m(&[l(2, &m(&[l(14, &sc)]))]);
    assert_eq!(
        decode(&envelope("v1", "Pod", &pod))["spec"]["securityContext"],
        json!({"runAsUser": 0, "supplementalGroups": [1000, 2000, 3000]})
    );
}

#[test]
fn review_extra_raw_extension_and_bytes() {
    // map<string, ExtraValue>: ExtraValue is a slice alias, JSON is the list
    let spec = m(&[
        s(3, "alice"),
        entry(5, "scopes", &m(&[s(1, "a"), s(1, "b")])),
        entry(5, "none", b""),
    ]);
    let sar = m(&[l(1, b""), l(2, &spec), l(3, &m(&[v(1, 0)]))]);
    assert_eq!(
        decode(&envelope(
            "authorization.k8s.io/v1",
            "SubjectAccessReview",
            &sar
        )),
        json!({
            "kind": "SubjectAccessReview", "apiVersion": "authorization.k8s.io/v1", "metadata": {},
            "spec": {"user": "alice", "extra": {"scopes": ["a", "b"], "none": []}},
            "status": {"allowed": false}
        })
    );
    // ControllerRevision.data is a RawExtension: embedded JSON, or embedded k8s protobuf
    let rev = m(&[
        l(1, &meta("r")),
        l(2, &l(1, br#"{"spec":{"x":1}}"#)),
        v(3, 2),
    ]);
    assert_eq!(
        decode(&envelope("apps/v1", "ControllerRevision", &rev))["data"],
        json!({"spec": {"x": 1}})
    );
    let inner = envelope(
        "v1",
        "ConfigMap",
        &m(&[l(1, &meta("in")), entry(2, "k", b"v")]),
    );
    let rev = m(&[l(1, &meta("r")), l(2, &l(1, &inner)), v(3, 0)]);
    assert_eq!(
        decode(&envelope("apps/v1", "ControllerRevision", &rev)),
        json!({
            "kind": "ControllerRevision", "apiVersion": "apps/v1", "metadata": {"name": "r"},
            "data": {"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "in"}, "data": {"k": "v"}},
            "revision": 0
        })
    );
    let bad = m(&[l(2, &l(1, b"{not json"))]);
    assert!(decode_err(&envelope("apps/v1", "ControllerRevision", &bad))
        .to_string()
        .starts_with("RawExtension does not hold valid JSON"));
    // bytes fields are base64
    let csr = m(&[
        l(1, &meta("c")),
        l(
            2,
            &m(&[
                l(1, b"\x00\xffPEM"),
                s(7, "kubernetes.io/kube-apiserver-client"),
            ]),
        ),
    ]);
    assert_eq!(
        decode(&envelope(
            "certificates.k8s.io/v1",
            "CertificateSigningRequest",
            &csr
        ))["spec"],
        json!({"request": "AP9QRU0=", "signerName": "kubernetes.io/kube-apiserver-client"})
    );
}

#[test]
fn crd_schemas() {
    let props = |t: &str| m(&[s(5, t)]);
    let schema = m(&[
        s(5, "object"),
        l(8, &l(1, b"0")), // default: 0 is a value, not an unset field
        v(38, 0),          // x-kubernetes-preserve-unknown-fields: false (pointer)
        entry(29, "name", &props("string")),
        entry(29, "any", b""),
        l(30, &m(&[v(1, 0)])),                 // additionalProperties: false
        l(24, &m(&[l(1, &props("integer"))])), // items: schema
        entry(32, "dep", &m(&[s(2, "a"), s(2, "b")])),
    ]);
    let version = m(&[
        s(1, "v1"),
        v(2, 0), // served: false is meaningful
        v(3, 1),
        l(4, &l(1, &schema)),
        l(5, &m(&[l(1, b"")])), // subresources.status: {} enables /status
    ]);
    let crd = m(&[
        l(1, &meta("ws.example.com")),
        l(
            2,
            &m(&[s(1, "example.com"), s(4, "Namespaced"), l(7, &version)]),
        ),
    ]);
    let got = decode(&envelope(
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        &crd,
    ));
    assert_eq!(
        got["spec"]["versions"][0],
        json!({
            "name": "v1", "served": false, "storage": true,
            "schema": {"openAPIV3Schema": {
                "type": "object",
                "default": 0,
                "items": {"type": "integer"},
                "properties": {"name": {"type": "string"}, "any": {}},
                "additionalProperties": false,
                "dependencies": {"dep": ["a", "b"]},
                "x-kubernetes-preserve-unknown-fields": false
            }},
            "subresources": {"status": {}}
        })
    );
}

#[test]
fn merge_semantics_unknown_fields_and_order() {
    // metadata given twice merges; labels accumulate; the last name wins;
    // unknown fields of every wire type are skipped
    let cm = m(&[
        l(1, &m(&[s(1, "first"), entry(11, "a", b"1")])),
        v(99, 5),
        l(98, b"xyz"),
        key(97, 5),
        vec![1, 2, 3, 4],
        key(96, 1),
        vec![0; 8],
        key(95, 3),
        v(1, 1),
        key(95, 4),
        entry(2, "k", b"v"),
        l(1, &m(&[s(1, "second"), entry(11, "b", b"2")])),
        v(4, 1),
    ]);
    let got = decode(&envelope("v1", "ConfigMap", &cm));
    assert_eq!(
        got,
        json!({
            "kind": "ConfigMap", "apiVersion": "v1",
            "metadata": {"name": "second", "labels": {"a": "1", "b": "2"}},
            "immutable": true, "data": {"k": "v"}
        })
    );
    // keys come out in Go struct order, not wire order
    let keys: Vec<&str> = got
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(
        keys,
        ["kind", "apiVersion", "metadata", "immutable", "data"]
    );
}

#[test]
fn delete_options() {
    // gracePeriodSeconds: 0 means "now" and must not vanish
    let opts = m(&[
        v(1, 0),
        l(2, &m(&[s(1, "uid-1")])),
        s(4, "Foreground"),
        s(5, "All"),
    ]);
    let expected = json!({
        "gracePeriodSeconds": 0,
        "preconditions": {"uid": "uid-1"},
        "propagationPolicy": "Foreground",
        "dryRun": ["All"]
    });
    for api_version in ["v1", "apps/v1", "meta.k8s.io/v1"] {
        let got = decode(&envelope(api_version, "DeleteOptions", &opts));
        assert_eq!(got["kind"], "DeleteOptions");
        assert_eq!(got["apiVersion"], api_version);
        let mut fields = got.clone();
        if let Some(o) = fields.as_object_mut() {
            o.remove("kind");
            o.remove("apiVersion");
        }
        assert_eq!(fields, expected, "{api_version}");
    }
}

#[test]
fn wrong_wire_types_are_errors() {
    let cm = m(&[v(1, 3)]); // metadata as a varint
    assert_eq!(
        decode_err(&envelope("v1", "ConfigMap", &cm)).to_string(),
        "proto: wrong wireType = 0 for field metadata"
    );
    let cm = m(&[l(4, b"x")]); // immutable (bool) as bytes
    assert_eq!(
        decode_err(&envelope("v1", "ConfigMap", &cm)).to_string(),
        "proto: wrong wireType = 2 for field immutable"
    );
    let cm = m(&[vec![0x00, 0x00]]);
    assert_eq!(
        decode_err(&envelope("v1", "ConfigMap", &cm)).to_string(),
        "proto: ConfigMap: illegal tag 0 (wire type 0)"
    );
}

#[test]
fn allowlists_name_real_fields() {
    let schema = match schema::schema() {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    for (message, fields) in omit::KEEP_ZERO {
        for field in *fields {
            let found = schema.messages.iter().any(|msg| {
                msg.short == *message
                    && msg.fields.iter().any(|f| {
                        f.json == *field
                            && !matches!(f.kind, schema::Kind::Message | schema::Kind::Map)
                            && !f.repeated
                    })
            });
            assert!(
                found,
                "{message}.{field} is not a scalar field in the schema"
            );
        }
    }
}

// ---- robustness: no panics, bounded work ----

/// A tiny deterministic PRNG (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

fn all_bodies() -> Vec<Vec<u8>> {
    vec![
        CONFIGMAP.to_vec(),
        SECRET.to_vec(),
        TOKEN_REQUEST.to_vec(),
        SSAR_GET.to_vec(),
        SSAR_CREATE.to_vec(),
        SSRR.to_vec(),
        SSR_V1.to_vec(),
        NAMESPACE.to_vec(),
        deployment(),
    ]
}

#[test]
fn every_truncation_is_an_error() {
    for body in all_bodies() {
        assert!(decode_request(&body).is_ok());
        // magic, typeMeta, raw, then 4 bytes of empty contentEncoding and contentType:
        // a prefix is a valid (if emptier) body only where it ends between fields
        let type_meta_end = 4 + 2 + usize::from(body[5]);
        for cut in 0..body.len() - 4 {
            let result = decode_request(&body[..cut]);
            if cut == type_meta_end {
                assert!(result.is_ok(), "an envelope without raw is an empty object");
            } else {
                assert!(result.is_err(), "prefix of {cut} bytes decoded");
            }
        }
        for cut in body.len() - 4..body.len() {
            let _ = decode_request(&body[..cut]);
        }
    }
    // the object itself cut anywhere, inside a valid envelope: never a panic
    let raw = &deployment()[27..];
    for cut in 0..raw.len() {
        let _ = decode_request(&envelope("apps/v1", "Deployment", &raw[..cut]));
    }
}

#[test]
fn random_and_mutated_bodies_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let kinds = [
        ("v1", "Pod"),
        ("apps/v1", "Deployment"),
        ("v1", "ConfigMap"),
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
    ];
    for i in 0..4000 {
        let len = (rng.next() % 300) as usize;
        let raw: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let (gv, kind) = kinds[i % kinds.len()];
        let _ = decode_request(&envelope(gv, kind, &raw));
        let mut plain = MAGIC.to_vec();
        plain.extend(&raw);
        let _ = decode_request(&plain);
    }
    for body in all_bodies() {
        for _ in 0..2000 {
            let mut b = body.clone();
            for _ in 0..1 + rng.next() % 4 {
                let at = (rng.next() as usize) % b.len();
                b[at] ^= 1 << (rng.next() % 8);
            }
            let _ = decode_request(&b);
        }
    }
}

#[test]
fn deep_nesting_is_refused() {
    // JSONSchemaProps.not, nested 10 000 times
    let mut schema = m(&[s(5, "string")]);
    for _ in 0..10_000 {
        schema = l(28, &schema);
    }
    let version = m(&[s(1, "v1"), l(4, &l(1, &schema))]);
    let crd = m(&[l(2, &m(&[l(7, &version)]))]);
    let err = decode_err(&envelope(
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        &crd,
    ));
    assert_eq!(
        err.to_string(),
        format!("proto: message nesting exceeds the maximum depth of {MAX_DEPTH}")
    );
    // RawExtension holding k8s protobuf holding a RawExtension ...
    let mut body = envelope("apps/v1", "ControllerRevision", &m(&[v(3, 1)]));
    for _ in 0..200 {
        body = envelope("apps/v1", "ControllerRevision", &m(&[l(2, &l(1, &body))]));
    }
    assert!(matches!(
        decode_err(&body),
        ProtobufError::Object {
            source: WireError::TooDeep(_),
            ..
        }
    ));
    // deep but legal nesting still works
    let mut schema = m(&[s(5, "string")]);
    for _ in 0..50 {
        schema = l(28, &schema);
    }
    let version = m(&[s(1, "v1"), l(4, &l(1, &schema))]);
    let crd = m(&[l(2, &m(&[l(7, &version)]))]);
    assert!(decode_request(&envelope(
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        &crd
    ))
    .is_ok());
}

#[test]
fn huge_declared_lengths_do_not_allocate() {
    // raw claims 2^40 bytes
    let mut body = MAGIC.to_vec();
    body.extend(key(2, 2));
    varint(1 << 40, &mut body);
    body.extend(b"tiny");
    assert_eq!(
        decode_err(&body),
        ProtobufError::Envelope(WireError::UnexpectedEof)
    );
    let mut body = MAGIC.to_vec();
    body.extend(key(2, 2));
    varint(u64::MAX, &mut body);
    assert_eq!(
        decode_err(&body),
        ProtobufError::Envelope(WireError::NegativeLength)
    );
}
