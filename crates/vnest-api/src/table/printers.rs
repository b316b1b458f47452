//! Column sets and cell printers of the built-in resources (kube v1.33).

use serde_json::{json, Value};

use super::format::{
    at, container_cells, format_label_selector, format_labels, human_duration_nanos, int_at,
    int_or_string, is_set, list_at, list_with_more, map_at, parse_time, quantity, rfc3339,
    selector_string, since, str_at,
};
use super::Column;

const fn col(
    name: &'static str,
    kind: &'static str,
    priority: u8,
    description: &'static str,
) -> Column {
    Column {
        name,
        kind,
        format: "",
        priority,
        description,
    }
}

const NAME: Column = Column {
    name: "Name",
    kind: "string",
    format: "name",
    priority: 0,
    description: "Name of the object, unique within its namespace or the cluster.",
};
const AGE: Column = col("Age", "string", 0, "Time since the object was created.");
const CONTAINERS: Column = col(
    "Containers",
    "string",
    1,
    "Names of the containers in the pod template.",
);
const IMAGES: Column = col(
    "Images",
    "string",
    1,
    "Container images used by the pod template.",
);
const SELECTOR: Column = col(
    "Selector",
    "string",
    1,
    "Label selector choosing the pods this object manages.",
);

/// What one object prints as.
pub(super) struct Printed {
    pub(super) cells: Vec<Value>,
    pub(super) conditions: Option<Value>,
}

impl From<Vec<Value>> for Printed {
    fn from(cells: Vec<Value>) -> Printed {
        Printed {
            cells,
            conditions: None,
        }
    }
}

/// The printer of one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Printer {
    Default,
    Pod,
    PodTemplate,
    PodDisruptionBudget,
    ReplicationController,
    ReplicaSet,
    DaemonSet,
    Job,
    CronJob,
    Service,
    Ingress,
    IngressClass,
    StatefulSet,
    Endpoints,
    Node,
    Event,
    EventsV1Event,
    Namespace,
    Secret,
    ServiceAccount,
    PersistentVolume,
    PersistentVolumeClaim,
    ComponentStatus,
    Deployment,
    HorizontalPodAutoscaler,
    ConfigMap,
    NetworkPolicy,
    RoleBinding,
    ClusterRoleBinding,
    CertificateSigningRequest,
    ClusterTrustBundle,
    Lease,
    LeaseCandidate,
    StorageClass,
    VolumeAttributesClass,
    ControllerRevision,
    ResourceQuota,
    PriorityClass,
    RuntimeClass,
    VolumeAttachment,
    EndpointSlice,
    CsiNode,
    CsiDriver,
    MutatingWebhookConfiguration,
    ValidatingWebhookConfiguration,
    ValidatingAdmissionPolicy,
    ValidatingAdmissionPolicyBinding,
    MutatingAdmissionPolicy,
    MutatingAdmissionPolicyBinding,
    FlowSchema,
    PriorityLevelConfiguration,
    StorageVersion,
    DeviceClass,
    ResourceClaim,
    ResourceClaimTemplate,
    ResourceSlice,
    ServiceCidr,
    IpAddress,
    StorageVersionMigration,
    ApiService,
}

impl Printer {
    pub(super) fn for_resource(group: &str, resource: &str) -> Printer {
        use Printer::*;
        match (group, resource) {
            ("", "pods") => Pod,
            ("", "podtemplates") => PodTemplate,
            ("", "replicationcontrollers") => ReplicationController,
            ("", "services") => Service,
            ("", "endpoints") => Endpoints,
            ("", "nodes") => Node,
            ("", "events") => Event,
            ("events.k8s.io", "events") => EventsV1Event,
            ("", "namespaces") => Namespace,
            ("", "secrets") => Secret,
            ("", "serviceaccounts") => ServiceAccount,
            ("", "persistentvolumes") => PersistentVolume,
            ("", "persistentvolumeclaims") => PersistentVolumeClaim,
            ("", "componentstatuses") => ComponentStatus,
            ("", "configmaps") => ConfigMap,
            ("", "resourcequotas") => ResourceQuota,
            ("policy", "poddisruptionbudgets") => PodDisruptionBudget,
            ("apps", "replicasets") => ReplicaSet,
            ("apps", "daemonsets") => DaemonSet,
            ("apps", "statefulsets") => StatefulSet,
            ("apps", "deployments") => Deployment,
            ("apps", "controllerrevisions") => ControllerRevision,
            ("batch", "jobs") => Job,
            ("batch", "cronjobs") => CronJob,
            ("networking.k8s.io", "ingresses") => Ingress,
            ("networking.k8s.io", "ingressclasses") => IngressClass,
            ("networking.k8s.io", "networkpolicies") => NetworkPolicy,
            ("networking.k8s.io", "servicecidrs") => ServiceCidr,
            ("networking.k8s.io", "ipaddresses") => IpAddress,
            ("autoscaling", "horizontalpodautoscalers") => HorizontalPodAutoscaler,
            ("rbac.authorization.k8s.io", "rolebindings") => RoleBinding,
            ("rbac.authorization.k8s.io", "clusterrolebindings") => ClusterRoleBinding,
            ("certificates.k8s.io", "certificatesigningrequests") => CertificateSigningRequest,
            ("certificates.k8s.io", "clustertrustbundles") => ClusterTrustBundle,
            ("coordination.k8s.io", "leases") => Lease,
            ("coordination.k8s.io", "leasecandidates") => LeaseCandidate,
            ("storage.k8s.io", "storageclasses") => StorageClass,
            ("storage.k8s.io", "volumeattributesclasses") => VolumeAttributesClass,
            ("storage.k8s.io", "volumeattachments") => VolumeAttachment,
            ("storage.k8s.io", "csinodes") => CsiNode,
            ("storage.k8s.io", "csidrivers") => CsiDriver,
            // CSIStorageCapacity has a printer in kube, but its storage is
            // served through the generic table convertor.
            ("scheduling.k8s.io", "priorityclasses") => PriorityClass,
            ("node.k8s.io", "runtimeclasses") => RuntimeClass,
            ("discovery.k8s.io", "endpointslices") => EndpointSlice,
            ("admissionregistration.k8s.io", "mutatingwebhookconfigurations") => {
                MutatingWebhookConfiguration
            }
            ("admissionregistration.k8s.io", "validatingwebhookconfigurations") => {
                ValidatingWebhookConfiguration
            }
            ("admissionregistration.k8s.io", "validatingadmissionpolicies") => {
                ValidatingAdmissionPolicy
            }
            ("admissionregistration.k8s.io", "validatingadmissionpolicybindings") => {
                ValidatingAdmissionPolicyBinding
            }
            ("admissionregistration.k8s.io", "mutatingadmissionpolicies") => {
                MutatingAdmissionPolicy
            }
            ("admissionregistration.k8s.io", "mutatingadmissionpolicybindings") => {
                MutatingAdmissionPolicyBinding
            }
            ("flowcontrol.apiserver.k8s.io", "flowschemas") => FlowSchema,
            ("flowcontrol.apiserver.k8s.io", "prioritylevelconfigurations") => {
                PriorityLevelConfiguration
            }
            ("internal.apiserver.k8s.io", "storageversions") => StorageVersion,
            ("resource.k8s.io", "deviceclasses") => DeviceClass,
            ("resource.k8s.io", "resourceclaims") => ResourceClaim,
            ("resource.k8s.io", "resourceclaimtemplates") => ResourceClaimTemplate,
            ("resource.k8s.io", "resourceslices") => ResourceSlice,
            ("storagemigration.k8s.io", "storageversionmigrations") => StorageVersionMigration,
            ("apiregistration.k8s.io", "apiservices") => ApiService,
            _ => Default,
        }
    }

    pub(super) fn is_default(self) -> bool {
        self == Printer::Default
    }

    pub(super) fn columns(self) -> &'static [Column] {
        use Printer::*;
        match self {
            Default => {
                const {
                    &[
                        NAME,
                        Column {
                            name: "Created At",
                            kind: "date",
                            format: "",
                            priority: 0,
                            description: "When the object was created (RFC 3339, UTC).",
                        },
                    ]
                }
            }
            Pod => {
                const {
                    &[
                        NAME,
                        col(
                            "Ready",
                            "string",
                            0,
                            "Ready containers out of all containers of the pod.",
                        ),
                        col(
                            "Status",
                            "string",
                            0,
                            "Summary of the pod's state, from its phase and container states.",
                        ),
                        col(
                            "Restarts",
                            "string",
                            0,
                            "Container restarts, with the time since the last one.",
                        ),
                        AGE,
                        col("IP", "string", 1, "Primary IP address of the pod."),
                        col("Node", "string", 1, "Node the pod is bound to."),
                        col(
                            "Nominated Node",
                            "string",
                            1,
                            "Node the scheduler nominated for the pod after preemption.",
                        ),
                        col(
                            "Readiness Gates",
                            "string",
                            1,
                            "Readiness gates that are true out of all of them.",
                        ),
                    ]
                }
            }
            PodTemplate => {
                const {
                    &[
                        NAME,
                        col(
                            "Containers",
                            "string",
                            0,
                            "Names of the containers in the template.",
                        ),
                        col(
                            "Images",
                            "string",
                            0,
                            "Container images used by the template.",
                        ),
                        col(
                            "Pod Labels",
                            "string",
                            0,
                            "Labels the template gives its pods.",
                        ),
                    ]
                }
            }
            PodDisruptionBudget => {
                const {
                    &[
                        NAME,
                        col(
                            "Min Available",
                            "string",
                            0,
                            "Pods that must stay available.",
                        ),
                        col(
                            "Max Unavailable",
                            "string",
                            0,
                            "Pods that may be unavailable at once.",
                        ),
                        col(
                            "Allowed Disruptions",
                            "integer",
                            0,
                            "Evictions allowed right now.",
                        ),
                        AGE,
                    ]
                }
            }
            ReplicationController | ReplicaSet => {
                const {
                    &[
                        NAME,
                        col("Desired", "integer", 0, "Requested number of replicas."),
                        col("Current", "integer", 0, "Replicas that currently exist."),
                        col("Ready", "integer", 0, "Replicas that are ready."),
                        AGE,
                        CONTAINERS,
                        IMAGES,
                        SELECTOR,
                    ]
                }
            }
            DaemonSet => {
                const {
                    &[
                        NAME,
                        col(
                            "Desired",
                            "integer",
                            0,
                            "Nodes that should run the daemon pod.",
                        ),
                        col(
                            "Current",
                            "integer",
                            0,
                            "Nodes running at least one daemon pod.",
                        ),
                        col("Ready", "integer", 0, "Nodes whose daemon pod is ready."),
                        col(
                            "Up-to-date",
                            "integer",
                            0,
                            "Nodes running the current pod template.",
                        ),
                        col(
                            "Available",
                            "integer",
                            0,
                            "Nodes whose daemon pod is available.",
                        ),
                        col(
                            "Node Selector",
                            "string",
                            0,
                            "Node labels the pods are restricted to.",
                        ),
                        AGE,
                        CONTAINERS,
                        IMAGES,
                        SELECTOR,
                    ]
                }
            }
            Job => {
                const {
                    &[
                        NAME,
                        col("Status", "string", 0, "Overall state of the job."),
                        col(
                            "Completions",
                            "string",
                            0,
                            "Succeeded pods out of the required completions.",
                        ),
                        col(
                            "Duration",
                            "string",
                            0,
                            "How long the job ran or has been running.",
                        ),
                        AGE,
                        CONTAINERS,
                        IMAGES,
                        SELECTOR,
                    ]
                }
            }
            CronJob => {
                const {
                    &[
                        NAME,
                        col("Schedule", "string", 0, "Cron schedule of the job."),
                        col(
                            "Timezone",
                            "string",
                            0,
                            "Time zone the schedule is read in.",
                        ),
                        col("Suspend", "boolean", 0, "Whether new runs are suspended."),
                        col("Active", "integer", 0, "Jobs currently running."),
                        col(
                            "Last Schedule",
                            "string",
                            0,
                            "Time since a job was last scheduled.",
                        ),
                        AGE,
                        CONTAINERS,
                        IMAGES,
                        SELECTOR,
                    ]
                }
            }
            Service => {
                const {
                    &[
                        NAME,
                        col("Type", "string", 0, "How the service is exposed."),
                        col("Cluster-IP", "string", 0, "Virtual IP inside the cluster."),
                        col(
                            "External-IP",
                            "string",
                            0,
                            "Addresses reachable from outside the cluster.",
                        ),
                        col(
                            "Port(s)",
                            "string",
                            0,
                            "Service ports, with node ports when allocated.",
                        ),
                        AGE,
                        col(
                            "Selector",
                            "string",
                            1,
                            "Labels of the pods behind the service.",
                        ),
                    ]
                }
            }
            Ingress => {
                const {
                    &[
                        NAME,
                        col("Class", "string", 0, "IngressClass handling this ingress."),
                        col("Hosts", "string", 0, "Host names the rules match."),
                        col(
                            "Address",
                            "string",
                            0,
                            "Load-balancer addresses of the ingress.",
                        ),
                        col("Ports", "string", 0, "Ports the ingress listens on."),
                        AGE,
                    ]
                }
            }
            IngressClass => {
                const {
                    &[
                        NAME,
                        col(
                            "Controller",
                            "string",
                            0,
                            "Controller implementing this class.",
                        ),
                        col(
                            "Parameters",
                            "string",
                            0,
                            "Resource holding extra configuration.",
                        ),
                        AGE,
                    ]
                }
            }
            StatefulSet => {
                const {
                    &[
                        NAME,
                        col(
                            "Ready",
                            "string",
                            0,
                            "Ready replicas out of the desired ones.",
                        ),
                        AGE,
                        CONTAINERS,
                        IMAGES,
                    ]
                }
            }
            Endpoints => {
                const {
                    &[
                        NAME,
                        col(
                            "Endpoints",
                            "string",
                            0,
                            "Addresses and ports of the endpoints.",
                        ),
                        AGE,
                    ]
                }
            }
            Node => {
                const {
                    &[
                        NAME,
                        col(
                            "Status",
                            "string",
                            0,
                            "Readiness and schedulability of the node.",
                        ),
                        col("Roles", "string", 0, "Roles from the node-role labels."),
                        AGE,
                        col("Version", "string", 0, "Kubelet version."),
                        col(
                            "Internal-IP",
                            "string",
                            1,
                            "First internal address of the node.",
                        ),
                        col(
                            "External-IP",
                            "string",
                            1,
                            "First external address of the node.",
                        ),
                        col("OS-Image", "string", 1, "Operating system image."),
                        col("Kernel-Version", "string", 1, "Kernel version."),
                        col(
                            "Container-Runtime",
                            "string",
                            1,
                            "Container runtime and its version.",
                        ),
                    ]
                }
            }
            Event | EventsV1Event => {
                const {
                    &[
                        col(
                            "Last Seen",
                            "string",
                            0,
                            "Time since the event was last seen.",
                        ),
                        col("Type", "string", 0, "Event type (Normal or Warning)."),
                        col("Reason", "string", 0, "Short machine-readable cause."),
                        col("Object", "string", 0, "Object the event is about."),
                        col(
                            "Subobject",
                            "string",
                            1,
                            "Part of the object the event is about.",
                        ),
                        col("Source", "string", 1, "Component that reported the event."),
                        col("Message", "string", 0, "Human-readable description."),
                        col(
                            "First Seen",
                            "string",
                            1,
                            "Time since the event was first seen.",
                        ),
                        col("Count", "string", 1, "How often the event happened."),
                        Column {
                            name: "Name",
                            kind: "string",
                            format: "name",
                            priority: 1,
                            description: "Name of the event object.",
                        },
                    ]
                }
            }
            Namespace => {
                const {
                    &[
                        NAME,
                        col("Status", "string", 0, "Lifecycle phase of the namespace."),
                        AGE,
                    ]
                }
            }
            Secret => {
                const {
                    &[
                        NAME,
                        col("Type", "string", 0, "Secret type."),
                        col("Data", "string", 0, "Number of data entries."),
                        AGE,
                    ]
                }
            }
            // Kubernetes 1.34 dropped this column; 1.33 still prints it.
            ServiceAccount => {
                const {
                    &[
                        NAME,
                        col(
                            "Secrets",
                            "string",
                            0,
                            "Number of secrets listed in the service account.",
                        ),
                        AGE,
                    ]
                }
            }
            PersistentVolume => {
                const {
                    &[
                        NAME,
                        col("Capacity", "string", 0, "Storage capacity."),
                        col("Access Modes", "string", 0, "Supported access modes."),
                        col(
                            "Reclaim Policy",
                            "string",
                            0,
                            "What happens once the claim is released.",
                        ),
                        col("Status", "string", 0, "Phase of the volume."),
                        col("Claim", "string", 0, "Claim bound to the volume."),
                        col("StorageClass", "string", 0, "Storage class of the volume."),
                        col(
                            "VolumeAttributesClass",
                            "string",
                            0,
                            "Volume attributes class of the volume.",
                        ),
                        col("Reason", "string", 0, "Reason for the current phase."),
                        AGE,
                        col("VolumeMode", "string", 1, "Filesystem or Block."),
                    ]
                }
            }
            PersistentVolumeClaim => {
                const {
                    &[
                        NAME,
                        col("Status", "string", 0, "Phase of the claim."),
                        col("Volume", "string", 0, "Volume bound to the claim."),
                        col("Capacity", "string", 0, "Capacity of the bound volume."),
                        col(
                            "Access Modes",
                            "string",
                            0,
                            "Access modes of the bound volume.",
                        ),
                        col("StorageClass", "string", 0, "Storage class of the claim."),
                        col(
                            "VolumeAttributesClass",
                            "string",
                            0,
                            "Volume attributes class of the claim.",
                        ),
                        AGE,
                        col("VolumeMode", "string", 1, "Filesystem or Block."),
                    ]
                }
            }
            ComponentStatus => {
                const {
                    &[
                        NAME,
                        col("Status", "string", 0, "Health of the component."),
                        col("Message", "string", 0, "Message of the health check."),
                        col("Error", "string", 0, "Error of the health check."),
                    ]
                }
            }
            Deployment => {
                const {
                    &[
                        NAME,
                        col(
                            "Ready",
                            "string",
                            0,
                            "Ready replicas out of the desired ones.",
                        ),
                        col(
                            "Up-to-date",
                            "string",
                            0,
                            "Replicas running the current template.",
                        ),
                        col("Available", "string", 0, "Replicas available to serve."),
                        AGE,
                        CONTAINERS,
                        IMAGES,
                        SELECTOR,
                    ]
                }
            }
            HorizontalPodAutoscaler => {
                const {
                    &[
                        NAME,
                        col("Reference", "string", 0, "Workload being scaled."),
                        col("Targets", "string", 0, "Current and target metric values."),
                        col("MinPods", "string", 0, "Lower replica bound."),
                        col("MaxPods", "string", 0, "Upper replica bound."),
                        col("Replicas", "string", 0, "Current replicas of the target."),
                        AGE,
                    ]
                }
            }
            ConfigMap => {
                const {
                    &[
                        NAME,
                        col(
                            "Data",
                            "string",
                            0,
                            "Number of data and binaryData entries.",
                        ),
                        AGE,
                    ]
                }
            }
            NetworkPolicy => {
                const {
                    &[
                        NAME,
                        col("Pod-Selector", "string", 0, "Pods the policy applies to."),
                        AGE,
                    ]
                }
            }
            RoleBinding | ClusterRoleBinding => {
                const {
                    &[
                        NAME,
                        col("Role", "string", 0, "Role granted by the binding."),
                        AGE,
                        col("Users", "string", 1, "Users bound."),
                        col("Groups", "string", 1, "Groups bound."),
                        col("ServiceAccounts", "string", 1, "Service accounts bound."),
                    ]
                }
            }
            CertificateSigningRequest => {
                const {
                    &[
                        NAME,
                        AGE,
                        col(
                            "SignerName",
                            "string",
                            0,
                            "Signer asked to sign the request.",
                        ),
                        col("Requestor", "string", 0, "User who made the request."),
                        col(
                            "RequestedDuration",
                            "string",
                            0,
                            "Validity period asked for.",
                        ),
                        col("Condition", "string", 0, "Approval state of the request."),
                    ]
                }
            }
            ClusterTrustBundle => {
                const {
                    &[
                        NAME,
                        col("SignerName", "string", 0, "Signer the bundle belongs to."),
                    ]
                }
            }
            Lease => {
                const {
                    &[
                        NAME,
                        col("Holder", "string", 0, "Current holder of the lease."),
                        AGE,
                    ]
                }
            }
            LeaseCandidate => {
                const {
                    &[
                        NAME,
                        col(
                            "LeaseName",
                            "string",
                            0,
                            "Lease the candidate competes for.",
                        ),
                        col(
                            "BinaryVersion",
                            "string",
                            0,
                            "Binary version of the candidate.",
                        ),
                        col(
                            "EmulationVersion",
                            "string",
                            0,
                            "Emulated version of the candidate.",
                        ),
                        AGE,
                    ]
                }
            }
            StorageClass => {
                const {
                    &[
                        NAME,
                        col("Provisioner", "string", 0, "Volume provisioner."),
                        col(
                            "ReclaimPolicy",
                            "string",
                            0,
                            "Reclaim policy of provisioned volumes.",
                        ),
                        col("VolumeBindingMode", "string", 0, "When volumes are bound."),
                        col(
                            "AllowVolumeExpansion",
                            "string",
                            0,
                            "Whether claims may grow.",
                        ),
                        AGE,
                    ]
                }
            }
            VolumeAttributesClass => {
                const {
                    &[
                        NAME,
                        col("DriverName", "string", 0, "CSI driver of the class."),
                        AGE,
                    ]
                }
            }
            ControllerRevision => {
                const {
                    &[
                        NAME,
                        col("Controller", "string", 0, "Object that owns the revision."),
                        col("Revision", "string", 0, "Revision number."),
                        AGE,
                    ]
                }
            }
            ResourceQuota => {
                const {
                    &[
                        NAME,
                        col("Request", "string", 0, "Used and hard request quotas."),
                        col("Limit", "string", 0, "Used and hard limit quotas."),
                        AGE,
                    ]
                }
            }
            PriorityClass => {
                const {
                    &[
                        NAME,
                        col("Value", "integer", 0, "Priority value."),
                        col(
                            "Global-Default",
                            "boolean",
                            0,
                            "Whether pods without a class get this one.",
                        ),
                        AGE,
                        col(
                            "PreemptionPolicy",
                            "string",
                            0,
                            "Whether pods of this class preempt others.",
                        ),
                    ]
                }
            }
            RuntimeClass => {
                const {
                    &[
                        NAME,
                        col("Handler", "string", 0, "Runtime handler used by the class."),
                        AGE,
                    ]
                }
            }
            VolumeAttachment => {
                const {
                    &[
                        NAME,
                        Column {
                            name: "Attacher",
                            kind: "string",
                            format: "name",
                            priority: 0,
                            description: "Driver attaching the volume.",
                        },
                        col("PV", "string", 0, "Persistent volume being attached."),
                        col("Node", "string", 0, "Node the volume is attached to."),
                        col("Attached", "boolean", 0, "Whether the attach succeeded."),
                        AGE,
                    ]
                }
            }
            EndpointSlice => {
                const {
                    &[
                        NAME,
                        col(
                            "AddressType",
                            "string",
                            0,
                            "Address family of the endpoints.",
                        ),
                        col("Ports", "string", 0, "Ports of the slice."),
                        col("Endpoints", "string", 0, "Addresses of the endpoints."),
                        AGE,
                    ]
                }
            }
            CsiNode => {
                const {
                    &[
                        NAME,
                        col(
                            "Drivers",
                            "integer",
                            0,
                            "CSI drivers registered on the node.",
                        ),
                        AGE,
                    ]
                }
            }
            CsiDriver => {
                const {
                    &[
                        NAME,
                        col(
                            "AttachRequired",
                            "boolean",
                            0,
                            "Whether volumes need an attach step.",
                        ),
                        col(
                            "PodInfoOnMount",
                            "boolean",
                            0,
                            "Whether pod details are passed on mount.",
                        ),
                        col(
                            "StorageCapacity",
                            "boolean",
                            0,
                            "Whether the driver reports capacity.",
                        ),
                        col(
                            "TokenRequests",
                            "string",
                            0,
                            "Audiences of the tokens passed to the driver.",
                        ),
                        col(
                            "RequiresRepublish",
                            "boolean",
                            0,
                            "Whether volumes are republished periodically.",
                        ),
                        col("Modes", "string", 0, "Supported volume lifecycle modes."),
                        AGE,
                    ]
                }
            }
            MutatingWebhookConfiguration | ValidatingWebhookConfiguration => {
                const {
                    &[
                        NAME,
                        col(
                            "Webhooks",
                            "integer",
                            0,
                            "Number of webhooks in the configuration.",
                        ),
                        AGE,
                    ]
                }
            }
            ValidatingAdmissionPolicy => {
                const {
                    &[
                        NAME,
                        col("Validations", "integer", 0, "Number of validation rules."),
                        col("ParamKind", "string", 0, "Kind of the parameter resources."),
                        AGE,
                    ]
                }
            }
            MutatingAdmissionPolicy => {
                const {
                    &[
                        NAME,
                        col("Mutations", "integer", 0, "Number of mutations."),
                        col("ParamKind", "string", 0, "Kind of the parameter resources."),
                        AGE,
                    ]
                }
            }
            ValidatingAdmissionPolicyBinding | MutatingAdmissionPolicyBinding => {
                const {
                    &[
                        NAME,
                        col("PolicyName", "string", 0, "Policy the binding applies."),
                        col(
                            "ParamRef",
                            "string",
                            0,
                            "Parameter resource of the binding.",
                        ),
                        AGE,
                    ]
                }
            }
            FlowSchema => {
                const {
                    &[
                        NAME,
                        col(
                            "PriorityLevel",
                            "string",
                            0,
                            "Priority level the matched requests go to.",
                        ),
                        col(
                            "MatchingPrecedence",
                            "string",
                            0,
                            "Order in which flow schemas are tried.",
                        ),
                        col(
                            "DistinguisherMethod",
                            "string",
                            0,
                            "How requests are split into flows.",
                        ),
                        AGE,
                        col(
                            "MissingPL",
                            "string",
                            0,
                            "Whether the priority level is missing.",
                        ),
                    ]
                }
            }
            PriorityLevelConfiguration => {
                const {
                    &[
                        NAME,
                        col("Type", "string", 0, "Exempt or Limited."),
                        col(
                            "NominalConcurrencyShares",
                            "string",
                            0,
                            "Share of the server's concurrency.",
                        ),
                        col("Queues", "string", 0, "Number of queues."),
                        col(
                            "HandSize",
                            "string",
                            0,
                            "Queues each flow is shuffled over.",
                        ),
                        col(
                            "QueueLengthLimit",
                            "string",
                            0,
                            "Requests each queue may hold.",
                        ),
                        AGE,
                    ]
                }
            }
            StorageVersion => {
                const {
                    &[
                        NAME,
                        col(
                            "CommonEncodingVersion",
                            "string",
                            0,
                            "Version all servers encode to.",
                        ),
                        col(
                            "StorageVersions",
                            "string",
                            0,
                            "Encoding version of each server.",
                        ),
                        AGE,
                    ]
                }
            }
            DeviceClass | ResourceClaimTemplate => const { &[NAME, AGE] },
            ResourceClaim => {
                const {
                    &[
                        NAME,
                        col(
                            "State",
                            "string",
                            0,
                            "Allocation and reservation state of the claim.",
                        ),
                        AGE,
                    ]
                }
            }
            ResourceSlice => {
                const {
                    &[
                        NAME,
                        col("Node", "string", 0, "Node providing the devices."),
                        col("Driver", "string", 0, "Driver publishing the slice."),
                        col("Pool", "string", 0, "Pool the slice belongs to."),
                        AGE,
                    ]
                }
            }
            ServiceCidr => {
                const {
                    &[
                        NAME,
                        col("CIDRs", "string", 0, "Address ranges of the service CIDR."),
                        AGE,
                    ]
                }
            }
            // kube prints an Age cell here without declaring its column.
            IpAddress => {
                const {
                    &[
                        NAME,
                        col(
                            "ParentRef",
                            "string",
                            0,
                            "Object the address is allocated to.",
                        ),
                    ]
                }
            }
            StorageVersionMigration => {
                const {
                    &[
                        col("Name", "string", 0, "Name of the migration."),
                        col("Resource", "string", 0, "Resource being migrated."),
                    ]
                }
            }
            ApiService => {
                const {
                    &[
                        NAME,
                        col("Service", "string", 0, "Service serving the API, or Local."),
                        col("Available", "string", 0, "Whether the API is reachable."),
                        AGE,
                    ]
                }
            }
        }
    }

    /// Lists whose printer sorts them (only FlowSchemas, by precedence).
    pub(super) fn sort(self, objects: &mut [&Value]) {
        if self == Printer::FlowSchema {
            objects.sort_by(|a, b| {
                let pa = int_at(a, &["spec", "matchingPrecedence"]);
                let pb = int_at(b, &["spec", "matchingPrecedence"]);
                pa.cmp(&pb).then_with(|| {
                    str_at(a, &["metadata", "name"]).cmp(str_at(b, &["metadata", "name"]))
                })
            });
        }
    }

    pub(super) fn print(self, obj: &Value, now: i128) -> Printed {
        use Printer::*;
        let name = json!(str_at(obj, &["metadata", "name"]));
        let age = json!(since(at(obj, &["metadata", "creationTimestamp"]), now));
        match self {
            Default => vec![
                name,
                json!(rfc3339(at(obj, &["metadata", "creationTimestamp"]))),
            ]
            .into(),
            Pod => print_pod(obj, now),
            PodTemplate => {
                let (names, images) =
                    container_cells(list_at(obj, &["template", "spec", "containers"]));
                let labels = format_labels(at(obj, &["template", "metadata", "labels"]));
                vec![name, json!(names), json!(images), json!(labels)].into()
            }
            PodDisruptionBudget => {
                let bound = |key: &str| {
                    at(obj, &["spec", key])
                        .filter(|v| !v.is_null())
                        .map_or_else(|| "N/A".to_string(), int_or_string)
                };
                vec![
                    name,
                    json!(bound("minAvailable")),
                    json!(bound("maxUnavailable")),
                    json!(int_at(obj, &["status", "disruptionsAllowed"])),
                    age,
                ]
                .into()
            }
            ReplicationController | ReplicaSet => {
                let (names, images) =
                    container_cells(list_at(obj, &["spec", "template", "spec", "containers"]));
                let selector = if self == ReplicationController {
                    format_labels(at(obj, &["spec", "selector"]))
                } else {
                    format_label_selector(at(obj, &["spec", "selector"]))
                };
                vec![
                    name,
                    json!(int_at(obj, &["spec", "replicas"])),
                    json!(int_at(obj, &["status", "replicas"])),
                    json!(int_at(obj, &["status", "readyReplicas"])),
                    age,
                    json!(names),
                    json!(images),
                    json!(selector),
                ]
                .into()
            }
            DaemonSet => {
                let (names, images) =
                    container_cells(list_at(obj, &["spec", "template", "spec", "containers"]));
                vec![
                    name,
                    json!(int_at(obj, &["status", "desiredNumberScheduled"])),
                    json!(int_at(obj, &["status", "currentNumberScheduled"])),
                    json!(int_at(obj, &["status", "numberReady"])),
                    json!(int_at(obj, &["status", "updatedNumberScheduled"])),
                    json!(int_at(obj, &["status", "numberAvailable"])),
                    json!(format_labels(at(
                        obj,
                        &["spec", "template", "spec", "nodeSelector"]
                    ))),
                    age,
                    json!(names),
                    json!(images),
                    json!(format_label_selector(at(obj, &["spec", "selector"]))),
                ]
                .into()
            }
            Job => print_job(obj, now, name, age),
            CronJob => {
                let last = if is_set(obj, &["status", "lastScheduleTime"]) {
                    since(at(obj, &["status", "lastScheduleTime"]), now)
                } else {
                    "<none>".into()
                };
                let tz = at(obj, &["spec", "timeZone"])
                    .and_then(Value::as_str)
                    .unwrap_or("<none>");
                let suspend = match at(obj, &["spec", "suspend"]).and_then(Value::as_bool) {
                    Some(true) => "True",
                    Some(false) => "False",
                    None => "<unset>",
                };
                let job_spec = ["spec", "jobTemplate", "spec"];
                let (names, images) = container_cells(list_at(
                    obj,
                    &[
                        "spec",
                        "jobTemplate",
                        "spec",
                        "template",
                        "spec",
                        "containers",
                    ],
                ));
                let selector = at(obj, &job_spec).and_then(|s| s.get("selector"));
                vec![
                    name,
                    json!(str_at(obj, &["spec", "schedule"])),
                    json!(tz),
                    json!(suspend),
                    json!(list_at(obj, &["status", "active"]).len()),
                    json!(last),
                    age,
                    json!(names),
                    json!(images),
                    json!(format_label_selector(selector)),
                ]
                .into()
            }
            Service => print_service(obj, name, age),
            Ingress => {
                let class = at(obj, &["spec", "ingressClassName"])
                    .and_then(Value::as_str)
                    .unwrap_or("<none>");
                let rules = list_at(obj, &["spec", "rules"]);
                let ports = if list_at(obj, &["spec", "tls"]).is_empty() {
                    "80"
                } else {
                    "80, 443"
                };
                vec![
                    name,
                    json!(class),
                    json!(ingress_hosts(rules)),
                    json!(load_balancer_addresses(at(
                        obj,
                        &["status", "loadBalancer"]
                    ))),
                    json!(ports),
                    age,
                ]
                .into()
            }
            IngressClass => {
                let parameters = match at(obj, &["spec", "parameters"]).filter(|p| !p.is_null()) {
                    Some(p) => {
                        let mut s = str_at(p, &["kind"]).to_string();
                        if let Some(group) = p.get("apiGroup").and_then(Value::as_str) {
                            s = format!("{s}.{group}");
                        }
                        format!("{s}/{}", str_at(p, &["name"]))
                    }
                    None => "<none>".into(),
                };
                vec![
                    name,
                    json!(str_at(obj, &["spec", "controller"])),
                    json!(parameters),
                    age,
                ]
                .into()
            }
            StatefulSet => {
                let (names, images) =
                    container_cells(list_at(obj, &["spec", "template", "spec", "containers"]));
                let ready = format!(
                    "{}/{}",
                    int_at(obj, &["status", "readyReplicas"]),
                    int_at(obj, &["spec", "replicas"])
                );
                vec![name, json!(ready), age, json!(names), json!(images)].into()
            }
            Endpoints => vec![name, json!(format_endpoints(obj)), age].into(),
            Node => print_node(obj, name, age),
            Event => print_event(obj, now, false),
            EventsV1Event => print_event(obj, now, true),
            Namespace => vec![name, json!(str_at(obj, &["status", "phase"])), age].into(),
            Secret => {
                let data = map_at(obj, &["data"]).map_or(0, |m| m.len());
                vec![name, json!(str_at(obj, &["type"])), json!(data), age].into()
            }
            ServiceAccount => vec![name, json!(list_at(obj, &["secrets"]).len()), age].into(),
            PersistentVolume => print_pv(obj, name, age),
            PersistentVolumeClaim => print_pvc(obj, name, age),
            ComponentStatus => {
                let healthy = list_at(obj, &["conditions"])
                    .iter()
                    .find(|c| str_at(c, &["type"]) == "Healthy");
                let (status, message, error) = match healthy {
                    Some(c) => (
                        if str_at(c, &["status"]) == "True" {
                            "Healthy"
                        } else {
                            "Unhealthy"
                        },
                        str_at(c, &["message"]),
                        str_at(c, &["error"]),
                    ),
                    None => ("Unknown", "", ""),
                };
                vec![name, json!(status), json!(message), json!(error)].into()
            }
            Deployment => {
                let (names, images) =
                    container_cells(list_at(obj, &["spec", "template", "spec", "containers"]));
                let selector = match selector_string(at(obj, &["spec", "selector"])) {
                    Ok(s) => s,
                    Err(()) => "<invalid>".into(),
                };
                let ready = format!(
                    "{}/{}",
                    int_at(obj, &["status", "readyReplicas"]),
                    int_at(obj, &["spec", "replicas"])
                );
                vec![
                    name,
                    json!(ready),
                    json!(int_at(obj, &["status", "updatedReplicas"])),
                    json!(int_at(obj, &["status", "availableReplicas"])),
                    age,
                    json!(names),
                    json!(images),
                    json!(selector),
                ]
                .into()
            }
            HorizontalPodAutoscaler => print_hpa(obj, name, age),
            ConfigMap => {
                let count = map_at(obj, &["data"]).map_or(0, |m| m.len())
                    + map_at(obj, &["binaryData"]).map_or(0, |m| m.len());
                vec![name, json!(count), age].into()
            }
            NetworkPolicy => {
                let selector = format_label_selector(at(obj, &["spec", "podSelector"]));
                vec![name, json!(selector), age].into()
            }
            RoleBinding | ClusterRoleBinding => {
                let role = format!(
                    "{}/{}",
                    str_at(obj, &["roleRef", "kind"]),
                    str_at(obj, &["roleRef", "name"])
                );
                let (mut users, mut groups, mut sas) = (Vec::new(), Vec::new(), Vec::new());
                for s in list_at(obj, &["subjects"]) {
                    let n = str_at(s, &["name"]);
                    match str_at(s, &["kind"]) {
                        "User" => users.push(n.to_string()),
                        "Group" => groups.push(n.to_string()),
                        "ServiceAccount" => sas.push(format!("{}/{n}", str_at(s, &["namespace"]))),
                        _ => {}
                    }
                }
                vec![
                    name,
                    json!(role),
                    age,
                    json!(users.join(", ")),
                    json!(groups.join(", ")),
                    json!(sas.join(", ")),
                ]
                .into()
            }
            CertificateSigningRequest => print_csr(obj, name, age),
            ClusterTrustBundle => {
                let signer = non_empty_or(str_at(obj, &["spec", "signerName"]), "<none>");
                vec![name, json!(signer)].into()
            }
            Lease => vec![name, json!(str_at(obj, &["spec", "holderIdentity"])), age].into(),
            LeaseCandidate => vec![
                name,
                json!(str_at(obj, &["spec", "leaseName"])),
                json!(str_at(obj, &["spec", "binaryVersion"])),
                json!(str_at(obj, &["spec", "emulationVersion"])),
                age,
            ]
            .into(),
            StorageClass => {
                let mut display = str_at(obj, &["metadata", "name"]).to_string();
                let annotation = |k: &str| str_at(obj, &["metadata", "annotations", k]) == "true";
                if annotation("storageclass.kubernetes.io/is-default-class")
                    || annotation("storageclass.beta.kubernetes.io/is-default-class")
                {
                    display.push_str(" (default)");
                }
                let reclaim = at(obj, &["reclaimPolicy"])
                    .and_then(Value::as_str)
                    .unwrap_or("Delete");
                let binding = at(obj, &["volumeBindingMode"])
                    .and_then(Value::as_str)
                    .unwrap_or("Immediate");
                let expansion = at(obj, &["allowVolumeExpansion"])
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                vec![
                    json!(display),
                    json!(str_at(obj, &["provisioner"])),
                    json!(reclaim),
                    json!(binding),
                    json!(expansion),
                    age,
                ]
                .into()
            }
            VolumeAttributesClass => {
                let mut display = str_at(obj, &["metadata", "name"]).to_string();
                if str_at(
                    obj,
                    &[
                        "metadata",
                        "annotations",
                        "volumeattributesclass.kubernetes.io/is-default-class",
                    ],
                ) == "true"
                {
                    display.push_str(" (default)");
                }
                vec![json!(display), json!(str_at(obj, &["driverName"])), age].into()
            }
            ControllerRevision => {
                let owner = list_at(obj, &["metadata", "ownerReferences"])
                    .iter()
                    .find(|r| at(r, &["controller"]).and_then(Value::as_bool) == Some(true));
                let controller = match owner {
                    Some(r) => {
                        let group = str_at(r, &["apiVersion"])
                            .split_once('/')
                            .map_or("", |(g, _)| g);
                        let kind = str_at(r, &["kind"]);
                        let group_kind = if group.is_empty() {
                            kind.to_string()
                        } else {
                            format!("{kind}.{group}")
                        };
                        if group_kind.is_empty() {
                            str_at(r, &["name"]).to_string()
                        } else {
                            format!("{}/{}", group_kind.to_lowercase(), str_at(r, &["name"]))
                        }
                    }
                    None => "<none>".into(),
                };
                vec![
                    name,
                    json!(controller),
                    json!(int_at(obj, &["revision"])),
                    age,
                ]
                .into()
            }
            ResourceQuota => print_resource_quota(obj, name, age),
            PriorityClass => {
                let policy = at(obj, &["preemptionPolicy"])
                    .and_then(Value::as_str)
                    .unwrap_or("");
                vec![
                    name,
                    json!(int_at(obj, &["value"])),
                    json!(at(obj, &["globalDefault"])
                        .and_then(Value::as_bool)
                        .unwrap_or(false)),
                    age,
                    json!(policy),
                ]
                .into()
            }
            RuntimeClass => vec![name, json!(str_at(obj, &["handler"])), age].into(),
            VolumeAttachment => vec![
                name,
                json!(str_at(obj, &["spec", "attacher"])),
                json!(str_at(obj, &["spec", "source", "persistentVolumeName"])),
                json!(str_at(obj, &["spec", "nodeName"])),
                json!(at(obj, &["status", "attached"])
                    .and_then(Value::as_bool)
                    .unwrap_or(false)),
                age,
            ]
            .into(),
            EndpointSlice => {
                let ports = list_at(obj, &["ports"]);
                let port_names: Vec<String> = ports
                    .iter()
                    .map(|p| match at(p, &["port"]).and_then(Value::as_i64) {
                        Some(n) => n.to_string(),
                        None => at(p, &["name"])
                            .and_then(Value::as_str)
                            .map_or_else(|| "*".to_string(), str::to_string),
                    })
                    .collect();
                let addresses: Vec<String> = list_at(obj, &["endpoints"])
                    .iter()
                    .flat_map(|e| list_at(e, &["addresses"]))
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect();
                vec![
                    name,
                    json!(str_at(obj, &["addressType"])),
                    json!(list_with_more(&port_names, port_names.len(), 3)),
                    json!(list_with_more(&addresses, addresses.len(), 3)),
                    age,
                ]
                .into()
            }
            CsiNode => vec![name, json!(list_at(obj, &["spec", "drivers"]).len()), age].into(),
            CsiDriver => print_csi_driver(obj, name, age),
            MutatingWebhookConfiguration | ValidatingWebhookConfiguration => {
                vec![name, json!(list_at(obj, &["webhooks"]).len()), age].into()
            }
            ValidatingAdmissionPolicy | MutatingAdmissionPolicy => {
                let list = if self == ValidatingAdmissionPolicy {
                    "validations"
                } else {
                    "mutations"
                };
                let param_kind = match at(obj, &["spec", "paramKind"]).filter(|p| !p.is_null()) {
                    Some(p) => format!("{}/{}", str_at(p, &["apiVersion"]), str_at(p, &["kind"])),
                    None => "<unset>".into(),
                };
                vec![
                    name,
                    json!(list_at(obj, &["spec", list]).len()),
                    json!(param_kind),
                    age,
                ]
                .into()
            }
            ValidatingAdmissionPolicyBinding | MutatingAdmissionPolicyBinding => {
                let param = match at(obj, &["spec", "paramRef"]).filter(|p| !p.is_null()) {
                    Some(p) if !str_at(p, &["name"]).is_empty() => {
                        let ns = str_at(p, &["namespace"]);
                        let ns = if ns.is_empty() { "*" } else { ns };
                        format!("{ns}/{}", str_at(p, &["name"]))
                    }
                    Some(p) if is_set(p, &["selector"]) => {
                        selector_string(p.get("selector")).unwrap_or_else(|()| "<error>".into())
                    }
                    _ => "<unset>".into(),
                };
                vec![
                    name,
                    json!(str_at(obj, &["spec", "policyName"])),
                    json!(param),
                    age,
                ]
                .into()
            }
            FlowSchema => {
                let method = at(obj, &["spec", "distinguisherMethod"])
                    .filter(|m| !m.is_null())
                    .map_or_else(
                        || "<none>".to_string(),
                        |m| str_at(m, &["type"]).to_string(),
                    );
                let missing = list_at(obj, &["status", "conditions"])
                    .iter()
                    .find(|c| str_at(c, &["type"]) == "Dangling")
                    .map_or("?", |c| str_at(c, &["status"]));
                vec![
                    name,
                    json!(str_at(obj, &["spec", "priorityLevelConfiguration", "name"])),
                    json!(int_at(obj, &["spec", "matchingPrecedence"])),
                    json!(method),
                    age,
                    json!(missing),
                ]
                .into()
            }
            PriorityLevelConfiguration => {
                let none = || json!("<none>");
                let (mut shares, mut queues, mut hand, mut limit) =
                    (none(), none(), none(), none());
                if let Some(limited) = at(obj, &["spec", "limited"]).filter(|l| !l.is_null()) {
                    shares = json!(int_at(limited, &["nominalConcurrencyShares"]));
                    if let Some(q) =
                        at(limited, &["limitResponse", "queuing"]).filter(|q| !q.is_null())
                    {
                        queues = json!(int_at(q, &["queues"]));
                        hand = json!(int_at(q, &["handSize"]));
                        limit = json!(int_at(q, &["queueLengthLimit"]));
                    }
                }
                vec![
                    name,
                    json!(str_at(obj, &["spec", "type"])),
                    shares,
                    queues,
                    hand,
                    limit,
                    age,
                ]
                .into()
            }
            StorageVersion => {
                let common = at(obj, &["status", "commonEncodingVersion"])
                    .and_then(Value::as_str)
                    .unwrap_or("<unset>");
                let versions: Vec<String> = list_at(obj, &["status", "storageVersions"])
                    .iter()
                    .map(|v| {
                        format!(
                            "{}={}",
                            str_at(v, &["apiServerID"]),
                            str_at(v, &["encodingVersion"])
                        )
                    })
                    .collect();
                vec![
                    name,
                    json!(common),
                    json!(list_with_more(&versions, versions.len(), 3)),
                    age,
                ]
                .into()
            }
            DeviceClass | ResourceClaimTemplate => vec![name, age].into(),
            ResourceClaim => {
                let mut states = Vec::new();
                let deleted = is_set(obj, &["metadata", "deletionTimestamp"]);
                if deleted {
                    states.push("deleted");
                }
                if is_set(obj, &["status", "allocation"]) {
                    states.push("allocated");
                    if !list_at(obj, &["status", "reservedFor"]).is_empty() {
                        states.push("reserved");
                    }
                } else if !deleted {
                    states.push("pending");
                }
                vec![name, json!(states.join(",")), age].into()
            }
            ResourceSlice => vec![
                name,
                json!(str_at(obj, &["spec", "nodeName"])),
                json!(str_at(obj, &["spec", "driver"])),
                json!(str_at(obj, &["spec", "pool", "name"])),
                age,
            ]
            .into(),
            ServiceCidr => {
                let cidrs: Vec<&str> = list_at(obj, &["spec", "cidrs"])
                    .iter()
                    .filter_map(Value::as_str)
                    .collect();
                vec![name, json!(cidrs.join(",")), age].into()
            }
            IpAddress => {
                let parent = match at(obj, &["spec", "parentRef"]).filter(|p| !p.is_null()) {
                    Some(p) => {
                        let group = str_at(p, &["group"]);
                        let resource = str_at(p, &["resource"]);
                        let mut s = if group.is_empty() {
                            resource.to_string()
                        } else {
                            format!("{resource}.{group}")
                        }
                        .to_lowercase();
                        let ns = str_at(p, &["namespace"]);
                        if !ns.is_empty() {
                            s = format!("{s}/{ns}");
                        }
                        format!("{s}/{}", str_at(p, &["name"]))
                    }
                    None => "<none>".into(),
                };
                vec![name, json!(parent), age].into()
            }
            StorageVersionMigration => {
                let gvr = format!(
                    "{}.{}.{}",
                    str_at(obj, &["spec", "resource", "resource"]),
                    str_at(obj, &["spec", "resource", "version"]),
                    str_at(obj, &["spec", "resource", "group"])
                );
                vec![name, json!(gvr)].into()
            }
            ApiService => {
                let service = match at(obj, &["spec", "service"]).filter(|s| !s.is_null()) {
                    Some(s) => format!("{}/{}", str_at(s, &["namespace"]), str_at(s, &["name"])),
                    None => "Local".into(),
                };
                let available = list_at(obj, &["status", "conditions"])
                    .iter()
                    .find(|c| str_at(c, &["type"]) == "Available")
                    .map_or_else(
                        || "Unknown".to_string(),
                        |c| {
                            let status = str_at(c, &["status"]);
                            let reason = str_at(c, &["reason"]);
                            if status == "True" || reason.is_empty() {
                                status.to_string()
                            } else {
                                format!("{status} ({reason})")
                            }
                        },
                    );
                vec![name, json!(service), json!(available), age].into()
            }
        }
    }
}

fn non_empty_or<'a>(s: &'a str, fallback: &'a str) -> &'a str {
    if s.is_empty() {
        fallback
    } else {
        s
    }
}

/// The latest of `current` and the timestamp at `v`.
fn later(current: Option<i128>, v: Option<&Value>) -> Option<i128> {
    match (current, parse_time(v)) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

fn condition_true(conditions: &[Value], kind: &str) -> bool {
    conditions
        .iter()
        .find(|c| str_at(c, &["type"]) == kind)
        .is_some_and(|c| str_at(c, &["status"]) == "True")
}

fn print_pod(pod: &Value, now: i128) -> Printed {
    let containers = list_at(pod, &["spec", "containers"]);
    let init_containers = list_at(pod, &["spec", "initContainers"]);
    let conditions = list_at(pod, &["status", "conditions"]);
    let phase = str_at(pod, &["status", "phase"]);
    let mut reason = non_empty_or(str_at(pod, &["status", "reason"]), phase).to_string();
    if conditions.iter().any(|c| {
        str_at(c, &["type"]) == "PodScheduled" && str_at(c, &["reason"]) == "SchedulingGated"
    }) {
        reason = "SchedulingGated".into();
    }
    let row_conditions = match phase {
        "Succeeded" => Some(
            json!([{"type": "Completed", "status": "True", "reason": "Succeeded",
                                    "message": "The pod has completed successfully."}]),
        ),
        "Failed" => Some(
            json!([{"type": "Completed", "status": "True", "reason": "Failed",
                                 "message": "The pod failed."}]),
        ),
        _ => None,
    };
    let restartable = |name: &str| {
        init_containers
            .iter()
            .any(|c| str_at(c, &["name"]) == name && str_at(c, &["restartPolicy"]) == "Always")
    };
    let total = containers.len()
        + init_containers
            .iter()
            .filter(|c| str_at(c, &["restartPolicy"]) == "Always")
            .count();
    let mut ready = 0usize;
    let mut restarts = 0i64;
    let mut sidecar_restarts = 0i64;
    let mut last_restart: Option<i128> = None;
    let mut sidecar_last_restart: Option<i128> = None;
    let mut initializing = false;

    let init_statuses = list_at(pod, &["status", "initContainerStatuses"]);
    for (i, cs) in init_statuses.iter().enumerate() {
        let count = int_at(cs, &["restartCount"]);
        let finished = at(cs, &["lastState", "terminated", "finishedAt"]);
        restarts += count;
        last_restart = later(last_restart, finished);
        let sidecar = restartable(str_at(cs, &["name"]));
        if sidecar {
            sidecar_restarts += count;
            sidecar_last_restart = later(sidecar_last_restart, finished);
        }
        let terminated = at(cs, &["state", "terminated"]).filter(|t| !t.is_null());
        let waiting_reason = str_at(cs, &["state", "waiting", "reason"]);
        if terminated.is_some_and(|t| int_at(t, &["exitCode"]) == 0) {
            continue;
        }
        if sidecar && at(cs, &["started"]).and_then(Value::as_bool) == Some(true) {
            if at(cs, &["ready"]).and_then(Value::as_bool) == Some(true) {
                ready += 1;
            }
            continue;
        }
        if let Some(t) = terminated {
            let r = str_at(t, &["reason"]);
            reason = if !r.is_empty() {
                format!("Init:{r}")
            } else if int_at(t, &["signal"]) != 0 {
                format!("Init:Signal:{}", int_at(t, &["signal"]))
            } else {
                format!("Init:ExitCode:{}", int_at(t, &["exitCode"]))
            };
        } else if !waiting_reason.is_empty() && waiting_reason != "PodInitializing" {
            reason = format!("Init:{waiting_reason}");
        } else {
            reason = format!("Init:{i}/{}", init_containers.len());
        }
        initializing = true;
        break;
    }

    if !initializing || condition_true(conditions, "Initialized") {
        restarts = sidecar_restarts;
        last_restart = sidecar_last_restart;
        let mut has_running = false;
        for cs in list_at(pod, &["status", "containerStatuses"]).iter().rev() {
            restarts += int_at(cs, &["restartCount"]);
            last_restart = later(
                last_restart,
                at(cs, &["lastState", "terminated", "finishedAt"]),
            );
            let waiting = str_at(cs, &["state", "waiting", "reason"]);
            let terminated = at(cs, &["state", "terminated"]).filter(|t| !t.is_null());
            if !waiting.is_empty() {
                reason = waiting.to_string();
            } else if let Some(t) = terminated {
                let r = str_at(t, &["reason"]);
                reason = if !r.is_empty() {
                    r.to_string()
                } else if int_at(t, &["signal"]) != 0 {
                    format!("Signal:{}", int_at(t, &["signal"]))
                } else {
                    format!("ExitCode:{}", int_at(t, &["exitCode"]))
                };
            } else if at(cs, &["ready"]).and_then(Value::as_bool) == Some(true)
                && is_set(cs, &["state", "running"])
            {
                has_running = true;
                ready += 1;
            }
        }
        if reason == "Completed" && has_running {
            reason = if condition_true(conditions, "Ready") {
                "Running".into()
            } else {
                "NotReady".into()
            };
        }
    }

    if is_set(pod, &["metadata", "deletionTimestamp"]) {
        if str_at(pod, &["status", "reason"]) == "NodeLost" {
            reason = "Unknown".into();
        } else if phase != "Failed" && phase != "Succeeded" {
            reason = "Terminating".into();
        }
    }

    let restarts_cell = match last_restart {
        Some(t) if restarts != 0 => format!("{restarts} ({} ago)", human_duration_nanos(now - t)),
        _ => restarts.to_string(),
    };
    let ip = list_at(pod, &["status", "podIPs"])
        .first()
        .map(|p| str_at(p, &["ip"]))
        .unwrap_or("");
    let gates = list_at(pod, &["spec", "readinessGates"]);
    let gates_cell = if gates.is_empty() {
        "<none>".to_string()
    } else {
        let satisfied = gates
            .iter()
            .filter(|g| {
                let wanted = str_at(g, &["conditionType"]);
                conditions
                    .iter()
                    .find(|c| str_at(c, &["type"]) == wanted)
                    .is_some_and(|c| str_at(c, &["status"]) == "True")
            })
            .count();
        format!("{satisfied}/{}", gates.len())
    };
    Printed {
        cells: vec![
            json!(str_at(pod, &["metadata", "name"])),
            json!(format!("{ready}/{total}")),
            json!(reason),
            json!(restarts_cell),
            json!(since(at(pod, &["metadata", "creationTimestamp"]), now)),
            json!(non_empty_or(ip, "<none>")),
            json!(non_empty_or(str_at(pod, &["spec", "nodeName"]), "<none>")),
            json!(non_empty_or(
                str_at(pod, &["status", "nominatedNodeName"]),
                "<none>"
            )),
            json!(gates_cell),
        ],
        conditions: row_conditions,
    }
}

fn print_job(obj: &Value, now: i128, name: Value, age: Value) -> Printed {
    let succeeded = int_at(obj, &["status", "succeeded"]);
    let completions = match at(obj, &["spec", "completions"]).and_then(Value::as_i64) {
        Some(c) => format!("{succeeded}/{c}"),
        None => {
            let parallelism = int_at(obj, &["spec", "parallelism"]);
            if parallelism > 1 {
                format!("{succeeded}/1 of {parallelism}")
            } else {
                format!("{succeeded}/1")
            }
        }
    };
    let start = parse_time(at(obj, &["status", "startTime"]));
    let end = parse_time(at(obj, &["status", "completionTime"]));
    let duration = match (start, end) {
        (None, _) => String::new(),
        (Some(s), None) => human_duration_nanos(now - s),
        (Some(s), Some(e)) => human_duration_nanos(e - s),
    };
    let conditions = list_at(obj, &["status", "conditions"]);
    let status = if condition_true(conditions, "Complete") {
        "Complete"
    } else if condition_true(conditions, "Failed") {
        "Failed"
    } else if is_set(obj, &["metadata", "deletionTimestamp"]) {
        "Terminating"
    } else if condition_true(conditions, "Suspended") {
        "Suspended"
    } else if condition_true(conditions, "FailureTarget") {
        "FailureTarget"
    } else {
        "Running"
    };
    let (names, images) =
        container_cells(list_at(obj, &["spec", "template", "spec", "containers"]));
    vec![
        name,
        json!(status),
        json!(completions),
        json!(duration),
        age,
        json!(names),
        json!(images),
        json!(format_label_selector(at(obj, &["spec", "selector"]))),
    ]
    .into()
}

/// Distinct load-balancer IPs / host names, sorted and comma-joined.
fn load_balancer_addresses(status: Option<&Value>) -> String {
    let mut addresses: Vec<&str> = status
        .map(|s| list_at(s, &["ingress"]))
        .unwrap_or(&[])
        .iter()
        .filter_map(|i| {
            let ip = str_at(i, &["ip"]);
            let host = str_at(i, &["hostname"]);
            if !ip.is_empty() {
                Some(ip)
            } else if !host.is_empty() {
                Some(host)
            } else {
                None
            }
        })
        .collect();
    addresses.sort_unstable();
    addresses.dedup();
    addresses.join(",")
}

fn print_service(obj: &Value, name: Value, age: Value) -> Printed {
    let service_type = str_at(obj, &["spec", "type"]);
    let cluster_ip = list_at(obj, &["spec", "clusterIPs"])
        .first()
        .and_then(Value::as_str)
        .unwrap_or("<none>");
    let external_ips: Vec<&str> = list_at(obj, &["spec", "externalIPs"])
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let external = match service_type {
        "ClusterIP" | "NodePort" => {
            if external_ips.is_empty() {
                "<none>".to_string()
            } else {
                external_ips.join(",")
            }
        }
        "LoadBalancer" => {
            let lb = load_balancer_addresses(at(obj, &["status", "loadBalancer"]));
            if !external_ips.is_empty() {
                let mut all: Vec<&str> = if lb.is_empty() {
                    Vec::new()
                } else {
                    lb.split(',').collect()
                };
                all.extend(external_ips.iter().copied());
                all.join(",")
            } else if !lb.is_empty() {
                lb
            } else {
                "<pending>".to_string()
            }
        }
        "ExternalName" => str_at(obj, &["spec", "externalName"]).to_string(),
        _ => "<unknown>".to_string(),
    };
    let ports: Vec<String> = list_at(obj, &["spec", "ports"])
        .iter()
        .map(|p| {
            let port = int_at(p, &["port"]);
            let protocol = str_at(p, &["protocol"]);
            let node_port = int_at(p, &["nodePort"]);
            if node_port > 0 {
                format!("{port}:{node_port}/{protocol}")
            } else {
                format!("{port}/{protocol}")
            }
        })
        .collect();
    let ports = if ports.is_empty() {
        "<none>".to_string()
    } else {
        ports.join(",")
    };
    vec![
        name,
        json!(service_type),
        json!(cluster_ip),
        json!(external),
        json!(ports),
        age,
        json!(format_labels(at(obj, &["spec", "selector"]))),
    ]
    .into()
}

fn ingress_hosts(rules: &[Value]) -> String {
    const MAX: usize = 3;
    let mut hosts = Vec::new();
    let mut more = false;
    for rule in rules {
        if hosts.len() == MAX {
            more = true;
        }
        let host = str_at(rule, &["host"]);
        if !more && !host.is_empty() {
            hosts.push(host);
        }
    }
    if hosts.is_empty() {
        return "*".into();
    }
    let joined = hosts.join(",");
    if more {
        format!("{joined} + {} more...", rules.len() - MAX)
    } else {
        joined
    }
}

fn format_endpoints(obj: &Value) -> String {
    const MAX: usize = 3;
    let subsets = list_at(obj, &["subsets"]);
    if subsets.is_empty() {
        return "<none>".into();
    }
    let mut list: Vec<String> = Vec::new();
    let mut more = false;
    let mut count = 0usize;
    for subset in subsets {
        let addresses = list_at(subset, &["addresses"]);
        let ports = list_at(subset, &["ports"]);
        if ports.is_empty() {
            count += addresses.len();
            for a in addresses {
                if list.len() == MAX {
                    more = true;
                    break;
                }
                list.push(str_at(a, &["ip"]).to_string());
            }
            continue;
        }
        for port in ports {
            count += addresses.len();
            for a in addresses {
                if list.len() == MAX {
                    more = true;
                    break;
                }
                let ip = str_at(a, &["ip"]);
                let number = int_at(port, &["port"]);
                list.push(if ip.contains(':') {
                    format!("[{ip}]:{number}")
                } else {
                    format!("{ip}:{number}")
                });
            }
        }
    }
    let joined = list.join(",");
    if more {
        format!("{joined} + {} more...", count.saturating_sub(MAX))
    } else {
        joined
    }
}

fn print_node(obj: &Value, name: Value, age: Value) -> Printed {
    let mut status: Vec<String> = Vec::new();
    if let Some(c) = list_at(obj, &["status", "conditions"])
        .iter()
        .rev()
        .find(|c| str_at(c, &["type"]) == "Ready")
    {
        status.push(if str_at(c, &["status"]) == "True" {
            "Ready".into()
        } else {
            "NotReady".into()
        });
    }
    if status.is_empty() {
        status.push("Unknown".into());
    }
    if at(obj, &["spec", "unschedulable"]).and_then(Value::as_bool) == Some(true) {
        status.push("SchedulingDisabled".into());
    }
    let mut roles: Vec<String> = map_at(obj, &["metadata", "labels"])
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| {
            if let Some(role) = k.strip_prefix("node-role.kubernetes.io/") {
                (!role.is_empty()).then(|| role.to_string())
            } else if k == "kubernetes.io/role" {
                v.as_str().filter(|r| !r.is_empty()).map(str::to_string)
            } else {
                None
            }
        })
        .collect();
    roles.sort();
    roles.dedup();
    let roles = if roles.is_empty() {
        "<none>".to_string()
    } else {
        roles.join(",")
    };
    let address = |kind: &str| {
        list_at(obj, &["status", "addresses"])
            .iter()
            .find(|a| str_at(a, &["type"]) == kind)
            .map_or("<none>", |a| str_at(a, &["address"]))
    };
    let info = |key: &str| non_empty_or(str_at(obj, &["status", "nodeInfo", key]), "<unknown>");
    vec![
        name,
        json!(status.join(",")),
        json!(roles),
        age,
        json!(str_at(obj, &["status", "nodeInfo", "kubeletVersion"])),
        json!(address("InternalIP")),
        json!(address("ExternalIP")),
        json!(info("osImage")),
        json!(info("kernelVersion")),
        json!(info("containerRuntimeVersion")),
    ]
    .into()
}

/// core/v1 and events.k8s.io/v1 events, printed from their shared fields.
fn print_event(obj: &Value, now: i128, new_api: bool) -> Printed {
    let field = |core: &'static str, events: &'static str| if new_api { events } else { core };
    let first_ts = at(obj, &[field("firstTimestamp", "deprecatedFirstTimestamp")]);
    let last_ts = at(obj, &[field("lastTimestamp", "deprecatedLastTimestamp")]);
    let first = if parse_time(first_ts).is_some() {
        since(first_ts, now)
    } else {
        since(at(obj, &["eventTime"]), now)
    };
    let mut last = if parse_time(last_ts).is_some() {
        since(last_ts, now)
    } else {
        first.clone()
    };
    let mut count = int_at(obj, &[field("count", "deprecatedCount")]);
    if let Some(series) = at(obj, &["series"]).filter(|s| !s.is_null()) {
        last = since(series.get("lastObservedTime"), now);
        count = int_at(series, &["count"]);
    } else if count == 0 {
        count = 1;
    }
    let involved = at(obj, &[field("involvedObject", "regarding")]).unwrap_or(&Value::Null);
    let kind = str_at(involved, &["kind"]).to_lowercase();
    let target_name = str_at(involved, &["name"]);
    let target = if target_name.is_empty() {
        kind
    } else {
        format!("{kind}/{target_name}")
    };
    let source = at(obj, &[field("source", "deprecatedSource")]).unwrap_or(&Value::Null);
    let component = non_empty_or(
        str_at(source, &["component"]),
        str_at(obj, &[field("reportingComponent", "reportingController")]),
    );
    let host = non_empty_or(
        str_at(source, &["host"]),
        str_at(obj, &["reportingInstance"]),
    );
    let source_cell = if host.is_empty() {
        component.to_string()
    } else {
        format!("{component}, {host}")
    };
    vec![
        json!(last),
        json!(str_at(obj, &["type"])),
        json!(str_at(obj, &["reason"])),
        json!(target),
        json!(str_at(involved, &["fieldPath"])),
        json!(source_cell),
        json!(str_at(obj, &[field("message", "note")]).trim()),
        json!(first),
        json!(count),
        json!(str_at(obj, &["metadata", "name"])),
    ]
    .into()
}

fn access_modes(modes: &[Value]) -> String {
    let has = |m: &str| modes.iter().any(|v| v.as_str() == Some(m));
    [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ]
    .iter()
    .filter(|(mode, _)| has(mode))
    .map(|(_, short)| *short)
    .collect::<Vec<_>>()
    .join(",")
}

/// The storage class of a PV or PVC: the beta annotation wins over the field.
fn storage_class(obj: &Value, field: &[&str]) -> String {
    if let Some(class) = at(
        obj,
        &[
            "metadata",
            "annotations",
            "volume.beta.kubernetes.io/storage-class",
        ],
    )
    .and_then(Value::as_str)
    {
        return class.to_string();
    }
    str_at(obj, field).to_string()
}

fn print_pv(obj: &Value, name: Value, age: Value) -> Printed {
    let claim = match at(obj, &["spec", "claimRef"]).filter(|c| !c.is_null()) {
        Some(c) => format!("{}/{}", str_at(c, &["namespace"]), str_at(c, &["name"])),
        None => String::new(),
    };
    let phase = if is_set(obj, &["metadata", "deletionTimestamp"]) {
        "Terminating"
    } else {
        str_at(obj, &["status", "phase"])
    };
    let capacity = match at(obj, &["spec", "capacity", "storage"]) {
        Some(q) => quantity(Some(q)),
        None => "0".into(),
    };
    vec![
        name,
        json!(capacity),
        json!(access_modes(list_at(obj, &["spec", "accessModes"]))),
        json!(str_at(obj, &["spec", "persistentVolumeReclaimPolicy"])),
        json!(phase),
        json!(claim),
        json!(storage_class(obj, &["spec", "storageClassName"])),
        json!(at(obj, &["spec", "volumeAttributesClassName"])
            .and_then(Value::as_str)
            .unwrap_or("<unset>")),
        json!(str_at(obj, &["status", "reason"])),
        age,
        json!(at(obj, &["spec", "volumeMode"])
            .and_then(Value::as_str)
            .unwrap_or("<unset>")),
    ]
    .into()
}

fn print_pvc(obj: &Value, name: Value, age: Value) -> Printed {
    let phase = if is_set(obj, &["metadata", "deletionTimestamp"]) {
        "Terminating"
    } else {
        str_at(obj, &["status", "phase"])
    };
    let volume = str_at(obj, &["spec", "volumeName"]);
    let (capacity, modes) = if volume.is_empty() {
        (String::new(), String::new())
    } else {
        let capacity = match at(obj, &["status", "capacity", "storage"]) {
            Some(q) => quantity(Some(q)),
            None => "0".into(),
        };
        (
            capacity,
            access_modes(list_at(obj, &["status", "accessModes"])),
        )
    };
    vec![
        name,
        json!(phase),
        json!(volume),
        json!(capacity),
        json!(modes),
        json!(storage_class(obj, &["spec", "storageClassName"])),
        json!(at(obj, &["spec", "volumeAttributesClassName"])
            .and_then(Value::as_str)
            .unwrap_or("<unset>")),
        age,
        json!(at(obj, &["spec", "volumeMode"])
            .and_then(Value::as_str)
            .unwrap_or("<unset>")),
    ]
    .into()
}

fn print_csr(obj: &Value, name: Value, age: Value) -> Printed {
    let (mut approved, mut denied, mut failed) = (false, false, false);
    for c in list_at(obj, &["status", "conditions"]) {
        match str_at(c, &["type"]) {
            "Approved" => approved = true,
            "Denied" => denied = true,
            "Failed" => failed = true,
            _ => {}
        }
    }
    let mut condition = if denied {
        "Denied".to_string()
    } else if approved {
        "Approved".to_string()
    } else {
        "Pending".to_string()
    };
    if failed {
        condition.push_str(",Failed");
    }
    if !str_at(obj, &["status", "certificate"]).is_empty() {
        condition.push_str(",Issued");
    }
    let requested = match at(obj, &["spec", "expirationSeconds"]).and_then(Value::as_i64) {
        Some(s) => human_duration_nanos(i128::from(s) * 1_000_000_000),
        None => "<none>".into(),
    };
    vec![
        name,
        age,
        json!(non_empty_or(str_at(obj, &["spec", "signerName"]), "<none>")),
        json!(str_at(obj, &["spec", "username"])),
        json!(requested),
        json!(condition),
    ]
    .into()
}

fn print_resource_quota(obj: &Value, name: Value, age: Value) -> Printed {
    let hard = map_at(obj, &["status", "hard"]);
    let mut resources: Vec<&String> = hard.into_iter().flatten().map(|(k, _)| k).collect();
    resources.sort();
    let mut requests = Vec::new();
    let mut limits = Vec::new();
    for resource in resources {
        let used = match at(obj, &["status", "used", resource.as_str()]) {
            Some(q) => quantity(Some(q)),
            None => "0".into(),
        };
        let hard_q = quantity(hard.and_then(|h| h.get(resource.as_str())));
        let entry = format!("{resource}: {used}/{hard_q}");
        let mut pieces = resource.split('.');
        let is_limit = pieces.next() == Some("limits") && pieces.next().is_some();
        if is_limit {
            limits.push(entry);
        } else {
            requests.push(entry);
        }
    }
    vec![
        name,
        json!(requests.join(", ")),
        json!(limits.join(", ")),
        age,
    ]
    .into()
}

fn print_csi_driver(obj: &Value, name: Value, age: Value) -> Printed {
    let flag = |key: &str, default: bool| {
        at(obj, &["spec", key])
            .and_then(Value::as_bool)
            .unwrap_or(default)
    };
    let modes: Vec<&str> = list_at(obj, &["spec", "volumeLifecycleModes"])
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let modes = if modes.is_empty() {
        "<none>".to_string()
    } else {
        modes.join(",")
    };
    let tokens = match at(obj, &["spec", "tokenRequests"]).and_then(Value::as_array) {
        Some(list) => list
            .iter()
            .map(|t| str_at(t, &["audience"]))
            .collect::<Vec<_>>()
            .join(","),
        None => "<unset>".into(),
    };
    vec![
        name,
        json!(flag("attachRequired", true)),
        json!(flag("podInfoOnMount", false)),
        json!(flag("storageCapacity", false)),
        json!(tokens),
        json!(flag("requiresRepublish", false)),
        json!(modes),
        age,
    ]
    .into()
}

/// The metrics of an autoscaling/v2 HPA; a v1-shaped object is read through
/// its `targetCPUUtilizationPercentage` fields.
fn hpa_metrics(obj: &Value) -> (Vec<Value>, Vec<Value>) {
    let specs = list_at(obj, &["spec", "metrics"]).to_vec();
    let statuses = list_at(obj, &["status", "currentMetrics"]).to_vec();
    if !specs.is_empty() || !is_set(obj, &["spec", "targetCPUUtilizationPercentage"]) {
        return (specs, statuses);
    }
    let target = int_at(obj, &["spec", "targetCPUUtilizationPercentage"]);
    let spec = json!({"type": "Resource", "resource": {"name": "cpu",
        "target": {"type": "Utilization", "averageUtilization": target}}});
    let status =
        match at(obj, &["status", "currentCPUUtilizationPercentage"]).and_then(Value::as_i64) {
            Some(current) => vec![json!({"type": "Resource", "resource": {"name": "cpu",
            "current": {"averageUtilization": current}}})],
            None => Vec::new(),
        };
    (vec![spec], status)
}

fn format_hpa_metrics(specs: &[Value], statuses: &[Value]) -> String {
    const MAX: usize = 2;
    if specs.is_empty() {
        return "<none>".into();
    }
    let mut list: Vec<String> = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let status = statuses.get(i);
        let source_status = |key: &str| status.and_then(|s| s.get(key)).filter(|s| !s.is_null());
        let entry = match str_at(spec, &["type"]) {
            kind @ ("External" | "Object") => {
                let key = if kind == "External" {
                    "external"
                } else {
                    "object"
                };
                let target = at(spec, &[key, "target"]).unwrap_or(&Value::Null);
                let current = source_status(key);
                if is_set(target, &["averageValue"]) {
                    let cur = current
                        .and_then(|c| at(c, &["current", "averageValue"]))
                        .filter(|v| !v.is_null())
                        .map_or_else(|| "<unknown>".to_string(), |v| quantity(Some(v)));
                    format!("{cur}/{} (avg)", quantity(target.get("averageValue")))
                } else {
                    let cur = current.map_or_else(
                        || "<unknown>".to_string(),
                        |c| quantity(at(c, &["current", "value"])),
                    );
                    format!("{cur}/{}", quantity(target.get("value")))
                }
            }
            "Pods" => {
                let cur = source_status("pods").map_or_else(
                    || "<unknown>".to_string(),
                    |c| quantity(at(c, &["current", "averageValue"])),
                );
                format!(
                    "{cur}/{}",
                    quantity(at(spec, &["pods", "target", "averageValue"]))
                )
            }
            kind @ ("Resource" | "ContainerResource") => {
                let key = if kind == "Resource" {
                    "resource"
                } else {
                    "containerResource"
                };
                let source = at(spec, &[key]).unwrap_or(&Value::Null);
                let resource = str_at(source, &["name"]);
                let target = at(source, &["target"]).unwrap_or(&Value::Null);
                let current = source_status(key);
                if is_set(target, &["averageValue"]) {
                    let cur = current.map_or_else(
                        || "<unknown>".to_string(),
                        |c| quantity(at(c, &["current", "averageValue"])),
                    );
                    format!("{resource}: {cur}/{}", quantity(target.get("averageValue")))
                } else {
                    let cur = current
                        .and_then(|c| at(c, &["current", "averageUtilization"]))
                        .and_then(Value::as_i64)
                        .map_or_else(|| "<unknown>".to_string(), |u| format!("{u}%"));
                    let want = target
                        .get("averageUtilization")
                        .and_then(Value::as_i64)
                        .map_or_else(|| "<auto>".to_string(), |u| format!("{u}%"));
                    format!("{resource}: {cur}/{want}")
                }
            }
            _ => "<unknown type>".to_string(),
        };
        list.push(entry);
    }
    let count = list.len();
    let shown = list
        .iter()
        .take(MAX)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if count > MAX {
        format!("{shown} + {} more...", count - MAX)
    } else {
        shown
    }
}

fn print_hpa(obj: &Value, name: Value, age: Value) -> Printed {
    let reference = format!(
        "{}/{}",
        str_at(obj, &["spec", "scaleTargetRef", "kind"]),
        str_at(obj, &["spec", "scaleTargetRef", "name"])
    );
    let (specs, statuses) = hpa_metrics(obj);
    let min_pods = at(obj, &["spec", "minReplicas"])
        .and_then(Value::as_i64)
        .map_or_else(|| "<unset>".to_string(), |m| m.to_string());
    vec![
        name,
        json!(reference),
        json!(format_hpa_metrics(&specs, &statuses)),
        json!(min_pods),
        json!(int_at(obj, &["spec", "maxReplicas"])),
        json!(int_at(obj, &["status", "currentReplicas"])),
        age,
    ]
    .into()
}
