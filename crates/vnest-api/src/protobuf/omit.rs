//! Which decoded fields to drop so the JSON looks like what Go's `encoding/json`
//! (with the `omitempty` tags of the API types) produces for the same object.
//!
//! gogo-protobuf writes every non-pointer field, so a field that is unset in Go
//! arrives as `""`, `0`, `false` or an empty message. Pointer fields are written
//! only when set, and for those a zero value is meaningful (`replicas: 0`,
//! `automountServiceAccountToken: false`). The wire cannot tell the two apart,
//! hence the explicit tables here. Messages are keyed by their short Go type name
//! (the same in every group version that has them).
//!
//! The rule (applied per field, never to list elements or map values):
//! - strings, bytes, numbers and bools are dropped when empty/zero/false, unless
//!   listed in [`KEEP_ZERO`];
//! - lists and maps are dropped when empty;
//! - a nested message is dropped when it is empty after this same cleaning,
//!   unless [`keep_empty_message`] says its presence means something;
//! - metav1.Time/MicroTime and raw JSON are dropped when unset; Quantity,
//!   IntOrString and Duration are kept whenever present (Go emits them too).

/// Fields whose zero value is kept. These are Go pointer fields (`*int32`,
/// `*bool`, ... where nil ≠ 0), plus a few non-pointer fields whose JSON tag has
/// no `omitempty` (Go always emits them, e.g. `SubjectAccessReviewStatus.allowed`).
/// Keeping a zero is always safe for a non-pointer field (absent means zero in
/// Go), so the list errs on the side of keeping.
pub const KEEP_ZERO: &[(&str, &[&str])] = &[
    // apps/v1
    (
        "DeploymentSpec",
        &[
            "replicas",
            "revisionHistoryLimit",
            "progressDeadlineSeconds",
        ],
    ),
    (
        "DeploymentStatus",
        &["collisionCount", "terminatingReplicas"],
    ),
    ("ReplicaSetSpec", &["replicas"]),
    ("ReplicaSetStatus", &["replicas", "terminatingReplicas"]),
    ("StatefulSetSpec", &["replicas", "revisionHistoryLimit"]),
    ("StatefulSetStatus", &["replicas", "collisionCount"]),
    ("StatefulSetOrdinals", &["start"]),
    ("RollingUpdateStatefulSetStrategy", &["partition"]),
    ("DaemonSetSpec", &["revisionHistoryLimit"]),
    (
        "DaemonSetStatus",
        &[
            "currentNumberScheduled",
            "numberMisscheduled",
            "desiredNumberScheduled",
            "numberReady",
            "collisionCount",
        ],
    ),
    ("ControllerRevision", &["revision"]),
    // autoscaling
    ("ScaleSpec", &["replicas"]),
    ("ScaleStatus", &["replicas"]),
    (
        "HorizontalPodAutoscalerSpec",
        &[
            "minReplicas",
            "maxReplicas",
            "targetCPUUtilizationPercentage",
        ],
    ),
    (
        "HorizontalPodAutoscalerStatus",
        &["currentReplicas", "desiredReplicas"],
    ),
    ("HPAScalingRules", &["stabilizationWindowSeconds"]),
    ("HPAScalingPolicy", &["value", "periodSeconds"]),
    ("MetricTarget", &["averageUtilization"]),
    // batch/v1
    (
        "JobSpec",
        &[
            "parallelism",
            "completions",
            "activeDeadlineSeconds",
            "backoffLimit",
            "backoffLimitPerIndex",
            "maxFailedIndexes",
            "ttlSecondsAfterFinished",
            "manualSelector",
            "suspend",
        ],
    ),
    ("JobStatus", &["ready", "terminating"]),
    (
        "CronJobSpec",
        &[
            "startingDeadlineSeconds",
            "suspend",
            "successfulJobsHistoryLimit",
            "failedJobsHistoryLimit",
        ],
    ),
    ("SuccessPolicyRule", &["succeededCount"]),
    // core/v1
    (
        "PodSpec",
        &[
            "terminationGracePeriodSeconds",
            "activeDeadlineSeconds",
            "automountServiceAccountToken",
            "shareProcessNamespace",
            "priority",
            "enableServiceLinks",
            "setHostnameAsFQDN",
            "hostUsers",
        ],
    ),
    (
        "SecurityContext",
        &[
            "privileged",
            "runAsUser",
            "runAsGroup",
            "runAsNonRoot",
            "readOnlyRootFilesystem",
            "allowPrivilegeEscalation",
        ],
    ),
    (
        "PodSecurityContext",
        &["runAsUser", "runAsGroup", "runAsNonRoot", "fsGroup"],
    ),
    ("WindowsSecurityContextOptions", &["hostProcess"]),
    ("Probe", &["terminationGracePeriodSeconds"]),
    ("GRPCAction", &["port"]),
    ("SleepAction", &["seconds"]),
    ("ContainerPort", &["containerPort"]),
    ("ServicePort", &["port"]),
    ("EndpointPort", &["port"]),
    ("ServiceSpec", &["allocateLoadBalancerNodePorts"]),
    ("ClientIPConfig", &["timeoutSeconds"]),
    ("ServiceAccount", &["automountServiceAccountToken"]),
    ("Secret", &["immutable"]),
    ("ConfigMap", &["immutable"]),
    ("SecretVolumeSource", &["defaultMode", "optional"]),
    ("ConfigMapVolumeSource", &["defaultMode", "optional"]),
    ("ProjectedVolumeSource", &["defaultMode"]),
    ("DownwardAPIVolumeSource", &["defaultMode"]),
    ("KeyToPath", &["mode"]),
    ("DownwardAPIVolumeFile", &["mode"]),
    ("ServiceAccountTokenProjection", &["expirationSeconds"]),
    ("ConfigMapKeySelector", &["optional"]),
    ("SecretKeySelector", &["optional"]),
    ("ConfigMapEnvSource", &["optional"]),
    ("SecretEnvSource", &["optional"]),
    ("ConfigMapProjection", &["optional"]),
    ("SecretProjection", &["optional"]),
    ("CSIVolumeSource", &["readOnly"]),
    // `storageClassName: ""` asks for no dynamic provisioning
    ("PersistentVolumeClaimSpec", &["storageClassName"]),
    ("ReplicationControllerSpec", &["replicas"]),
    ("ReplicationControllerStatus", &["replicas"]),
    ("Toleration", &["tolerationSeconds"]),
    ("TopologySpreadConstraint", &["maxSkew", "minDomains"]),
    ("WeightedPodAffinityTerm", &["weight"]),
    ("PreferredSchedulingTerm", &["weight"]),
    ("ContainerStatus", &["ready", "restartCount", "started"]),
    ("ContainerStateTerminated", &["exitCode"]),
    // authentication, authorization, certificates
    ("TokenRequestSpec", &["expirationSeconds"]),
    ("SubjectAccessReviewStatus", &["allowed"]),
    ("SubjectRulesReviewStatus", &["incomplete"]),
    ("CertificateSigningRequestSpec", &["expirationSeconds"]),
    // policy, scheduling, coordination
    (
        "PodDisruptionBudgetStatus",
        &[
            "disruptionsAllowed",
            "currentHealthy",
            "desiredHealthy",
            "expectedPods",
        ],
    ),
    ("PriorityClass", &["value"]),
    (
        "LeaseSpec",
        &["holderIdentity", "leaseDurationSeconds", "leaseTransitions"],
    ),
    // networking, discovery
    ("NetworkPolicyPort", &["endPort"]),
    ("EndpointConditions", &["ready", "serving", "terminating"]),
    // storage
    ("StorageClass", &["allowVolumeExpansion"]),
    (
        "CSIDriverSpec",
        &[
            "attachRequired",
            "podInfoOnMount",
            "storageCapacity",
            "requiresRepublish",
            "seLinuxMount",
            "nodeAllocatableUpdatePeriodSeconds",
        ],
    ),
    ("VolumeAttachmentStatus", &["attached"]),
    ("VolumeNodeResources", &["count"]),
    // admissionregistration, apiextensions, flowcontrol
    ("ValidatingWebhook", &["timeoutSeconds"]),
    ("MutatingWebhook", &["timeoutSeconds"]),
    ("ServiceReference", &["port"]),
    ("CustomResourceDefinitionVersion", &["served", "storage"]),
    (
        "JSONSchemaProps",
        &[
            "maximum",
            "minimum",
            "maxLength",
            "minLength",
            "maxItems",
            "minItems",
            "maxProperties",
            "minProperties",
            "multipleOf",
            "x-kubernetes-preserve-unknown-fields",
        ],
    ),
    (
        "LimitedPriorityLevelConfiguration",
        &[
            "nominalConcurrencyShares",
            "lendablePercent",
            "borrowingLimitPercent",
        ],
    ),
    (
        "ExemptPriorityLevelConfiguration",
        &["nominalConcurrencyShares", "lendablePercent"],
    ),
    // meta/v1
    (
        "DeleteOptions",
        &[
            "gracePeriodSeconds",
            "orphanDependents",
            "ignoreStoreReadErrorWithClusterBreakingPotential",
        ],
    ),
    ("OwnerReference", &["controller", "blockOwnerDeletion"]),
    ("ObjectMeta", &["deletionGracePeriodSeconds"]),
    ("ListMeta", &["remainingItemCount"]),
    // events.k8s.io
    ("EventSeries", &["count"]),
];

/// Messages in which every present message-typed field is kept even when empty:
/// these are Go pointers to structs whose mere presence selects something
/// (`emptyDir: {}` makes an emptyDir volume, `status: {}` under CRD subresources
/// enables /status, `exec: {}` picks a handler that validation then checks).
const KEEP_EMPTY_IN: &[&str] = &[
    "VolumeSource",
    "PersistentVolumeSource",
    "VolumeProjection",
    "ProbeHandler",
    "LifecycleHandler",
    "CustomResourceSubresources",
    "CustomResourceValidation",
    "JSONSchemaProps",
    "SubjectAccessReviewSpec",
    "SelfSubjectAccessReviewSpec",
];

/// Single message fields kept even when empty.
const KEEP_EMPTY_FIELDS: &[(&str, &str)] = &[("ClusterRole", "aggregationRule")];

/// The message type whose empty value is meaningful wherever it appears: an
/// empty label selector matches everything, a missing one nothing.
const LABEL_SELECTOR: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector";

/// Whether a zero/empty scalar in `message.field` is kept.
pub fn keep_zero(message: &str, field: &str) -> bool {
    KEEP_ZERO
        .iter()
        .any(|(m, fields)| *m == message && fields.contains(&field))
}

/// Whether an empty nested message of type `field_type` in `message.field` is kept.
pub fn keep_empty_message(message: &str, field: &str, field_type: &str) -> bool {
    field_type == LABEL_SELECTOR
        || KEEP_EMPTY_IN.contains(&message)
        || KEEP_EMPTY_FIELDS.contains(&(message, field))
}
