//! Which fields Go always writes when it encodes a built-in object, and what it
//! writes for them when they are unset (generated from the Go API types of
//! Kubernetes: non-pointer struct fields, and fields whose JSON tag has no
//! `omitempty`). Sorted by definition name for binary search.

use super::fill::Zero;

/// `(definition, [(property, zero value)])`, sorted by definition.
pub(super) static ALWAYS_WRITTEN: &[(&str, &[(&str, Zero)])] = &[
    (
        "io.k8s.api.admissionregistration.v1.AuditAnnotation",
        &[
            ("key", Zero::Str),
            ("valueExpression", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.admissionregistration.v1.ExpressionWarning",
        &[
            ("fieldRef", Zero::Str),
            ("warning", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.admissionregistration.v1.MatchCondition",
        &[
            ("expression", Zero::Str),
            ("name", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.admissionregistration.v1.MutatingAdmissionPolicy",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.admissionregistration.v1.MutatingAdmissionPolicyBinding",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.admissionregistration.v1.MutatingAdmissionPolicyBindingList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.admissionregistration.v1.MutatingAdmissionPolicyList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.admissionregistration.v1.MutatingWebhook",
        &[
            ("admissionReviewVersions", Zero::Null),
            ("clientConfig", Zero::Struct),
            ("name", Zero::Str),
            ("sideEffects", Zero::Null),
        ],
    ),
    (
        "io.k8s.api.admissionregistration.v1.MutatingWebhookConfiguration",
        &[
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.admissionregistration.v1.MutatingWebhookConfigurationList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.admissionregistration.v1.Mutation",
        &[
            ("patchType", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.admissionregistration.v1.ServiceReference",
        &[
            ("name", Zero::Str),
            ("namespace", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicy",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
            ("status", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicyBinding",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicyBindingList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicyList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.admissionregistration.v1.ValidatingWebhook",
        &[
            ("admissionReviewVersions", Zero::Null),
            ("clientConfig", Zero::Struct),
            ("name", Zero::Str),
            ("sideEffects", Zero::Null),
        ],
    ),
    (
        "io.k8s.api.admissionregistration.v1.ValidatingWebhookConfiguration",
        &[
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.admissionregistration.v1.ValidatingWebhookConfigurationList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.admissionregistration.v1.Validation",
        &[
            ("expression", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.admissionregistration.v1.Variable",
        &[
            ("expression", Zero::Str),
            ("name", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.apps.v1.ControllerRevision",
        &[
            ("data", Zero::Null),
            ("metadata", Zero::Struct),
            ("revision", Zero::Int),
        ],
    ),
    (
        "io.k8s.api.apps.v1.ControllerRevisionList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.apps.v1.DaemonSet",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
            ("status", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.apps.v1.DaemonSetCondition",
        &[
            ("lastTransitionTime", Zero::Null),
            ("status", Zero::Str),
            ("type", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.apps.v1.DaemonSetList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.apps.v1.DaemonSetSpec",
        &[
            ("selector", Zero::Null),
            ("template", Zero::Struct),
            ("updateStrategy", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.apps.v1.DaemonSetStatus",
        &[
            ("currentNumberScheduled", Zero::Int),
            ("desiredNumberScheduled", Zero::Int),
            ("numberMisscheduled", Zero::Int),
            ("numberReady", Zero::Int),
        ],
    ),
    (
        "io.k8s.api.apps.v1.Deployment",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
            ("status", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.apps.v1.DeploymentCondition",
        &[
            ("lastTransitionTime", Zero::Null),
            ("lastUpdateTime", Zero::Null),
            ("status", Zero::Str),
            ("type", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.apps.v1.DeploymentList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.apps.v1.DeploymentSpec",
        &[
            ("selector", Zero::Null),
            ("strategy", Zero::Struct),
            ("template", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.apps.v1.ReplicaSet",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
            ("status", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.apps.v1.ReplicaSetCondition",
        &[
            ("lastTransitionTime", Zero::Null),
            ("status", Zero::Str),
            ("type", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.apps.v1.ReplicaSetList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.apps.v1.ReplicaSetSpec",
        &[
            ("selector", Zero::Null),
            ("template", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.apps.v1.ReplicaSetStatus",
        &[
            ("replicas", Zero::Int),
        ],
    ),
    (
        "io.k8s.api.apps.v1.StatefulSet",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
            ("status", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.apps.v1.StatefulSetCondition",
        &[
            ("lastTransitionTime", Zero::Null),
            ("status", Zero::Str),
            ("type", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.apps.v1.StatefulSetList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.apps.v1.StatefulSetOrdinals",
        &[
            ("start", Zero::Int),
        ],
    ),
    (
        "io.k8s.api.apps.v1.StatefulSetSpec",
        &[
            ("selector", Zero::Null),
            ("serviceName", Zero::Str),
            ("template", Zero::Struct),
            ("updateStrategy", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.apps.v1.StatefulSetStatus",
        &[
            ("availableReplicas", Zero::Int),
            ("replicas", Zero::Int),
        ],
    ),
    (
        "io.k8s.api.authentication.v1.SelfSubjectReview",
        &[
            ("metadata", Zero::Struct),
            ("status", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.authentication.v1.SelfSubjectReviewStatus",
        &[
            ("userInfo", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.authentication.v1.TokenRequest",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
            ("status", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.authentication.v1.TokenRequestSpec",
        &[
            ("audiences", Zero::Null),
            ("boundObjectRef", Zero::Null),
            ("expirationSeconds", Zero::Null),
        ],
    ),
    (
        "io.k8s.api.authentication.v1.TokenRequestStatus",
        &[
            ("expirationTimestamp", Zero::Null),
            ("token", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.authentication.v1.TokenReview",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
            ("status", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.authentication.v1.TokenReviewStatus",
        &[
            ("user", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.authorization.v1.LocalSubjectAccessReview",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
            ("status", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.authorization.v1.NonResourceRule",
        &[
            ("verbs", Zero::Null),
        ],
    ),
    (
        "io.k8s.api.authorization.v1.ResourceRule",
        &[
            ("verbs", Zero::Null),
        ],
    ),
    (
        "io.k8s.api.authorization.v1.SelfSubjectAccessReview",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
            ("status", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.authorization.v1.SelfSubjectRulesReview",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
            ("status", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.authorization.v1.SubjectAccessReview",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
            ("status", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.authorization.v1.SubjectAccessReviewStatus",
        &[
            ("allowed", Zero::Bool),
        ],
    ),
    (
        "io.k8s.api.authorization.v1.SubjectRulesReviewStatus",
        &[
            ("incomplete", Zero::Bool),
            ("nonResourceRules", Zero::Null),
            ("resourceRules", Zero::Null),
        ],
    ),
    (
        "io.k8s.api.autoscaling.v1.CrossVersionObjectReference",
        &[
            ("kind", Zero::Str),
            ("name", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.autoscaling.v1.HorizontalPodAutoscaler",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
            ("status", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.autoscaling.v1.HorizontalPodAutoscalerList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.autoscaling.v1.HorizontalPodAutoscalerSpec",
        &[
            ("maxReplicas", Zero::Int),
            ("scaleTargetRef", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.autoscaling.v1.HorizontalPodAutoscalerStatus",
        &[
            ("currentReplicas", Zero::Int),
            ("desiredReplicas", Zero::Int),
        ],
    ),
    (
        "io.k8s.api.autoscaling.v1.Scale",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
            ("status", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.autoscaling.v1.ScaleStatus",
        &[
            ("replicas", Zero::Int),
        ],
    ),
    (
        "io.k8s.api.autoscaling.v2.ContainerResourceMetricSource",
        &[
            ("container", Zero::Str),
            ("name", Zero::Str),
            ("target", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.autoscaling.v2.ContainerResourceMetricStatus",
        &[
            ("container", Zero::Str),
            ("current", Zero::Struct),
            ("name", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.autoscaling.v2.CrossVersionObjectReference",
        &[
            ("kind", Zero::Str),
            ("name", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.autoscaling.v2.ExternalMetricSource",
        &[
            ("metric", Zero::Struct),
            ("target", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.autoscaling.v2.ExternalMetricStatus",
        &[
            ("current", Zero::Struct),
            ("metric", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.autoscaling.v2.HPAScalingPolicy",
        &[
            ("periodSeconds", Zero::Int),
            ("type", Zero::Str),
            ("value", Zero::Int),
        ],
    ),
    (
        "io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
            ("status", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerCondition",
        &[
            ("lastTransitionTime", Zero::Null),
            ("status", Zero::Str),
            ("type", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerSpec",
        &[
            ("maxReplicas", Zero::Int),
            ("scaleTargetRef", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerStatus",
        &[
            ("currentMetrics", Zero::Null),
            ("desiredReplicas", Zero::Int),
        ],
    ),
    (
        "io.k8s.api.autoscaling.v2.MetricIdentifier",
        &[
            ("name", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.autoscaling.v2.MetricSpec",
        &[
            ("type", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.autoscaling.v2.MetricStatus",
        &[
            ("type", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.autoscaling.v2.MetricTarget",
        &[
            ("type", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.autoscaling.v2.ObjectMetricSource",
        &[
            ("describedObject", Zero::Struct),
            ("metric", Zero::Struct),
            ("target", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.autoscaling.v2.ObjectMetricStatus",
        &[
            ("current", Zero::Struct),
            ("describedObject", Zero::Struct),
            ("metric", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.autoscaling.v2.PodsMetricSource",
        &[
            ("metric", Zero::Struct),
            ("target", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.autoscaling.v2.PodsMetricStatus",
        &[
            ("current", Zero::Struct),
            ("metric", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.autoscaling.v2.ResourceMetricSource",
        &[
            ("name", Zero::Str),
            ("target", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.autoscaling.v2.ResourceMetricStatus",
        &[
            ("current", Zero::Struct),
            ("name", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.batch.v1.CronJob",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
            ("status", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.batch.v1.CronJobList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.batch.v1.CronJobSpec",
        &[
            ("jobTemplate", Zero::Struct),
            ("schedule", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.batch.v1.Job",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
            ("status", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.batch.v1.JobCondition",
        &[
            ("lastProbeTime", Zero::Null),
            ("lastTransitionTime", Zero::Null),
            ("status", Zero::Str),
            ("type", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.batch.v1.JobList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.batch.v1.JobSpec",
        &[
            ("template", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.batch.v1.JobTemplateSpec",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.batch.v1.PodFailurePolicy",
        &[
            ("rules", Zero::Null),
        ],
    ),
    (
        "io.k8s.api.batch.v1.PodFailurePolicyOnExitCodesRequirement",
        &[
            ("operator", Zero::Str),
            ("values", Zero::Null),
        ],
    ),
    (
        "io.k8s.api.batch.v1.PodFailurePolicyOnPodConditionsPattern",
        &[
            ("status", Zero::Str),
            ("type", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.batch.v1.PodFailurePolicyRule",
        &[
            ("action", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.batch.v1.SuccessPolicy",
        &[
            ("rules", Zero::Null),
        ],
    ),
    (
        "io.k8s.api.certificates.v1.CertificateSigningRequest",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
            ("status", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.certificates.v1.CertificateSigningRequestCondition",
        &[
            ("lastTransitionTime", Zero::Null),
            ("lastUpdateTime", Zero::Null),
            ("status", Zero::Str),
            ("type", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.certificates.v1.CertificateSigningRequestList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.certificates.v1.CertificateSigningRequestSpec",
        &[
            ("request", Zero::Null),
            ("signerName", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.coordination.v1.Lease",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.coordination.v1.LeaseList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.core.v1.AWSElasticBlockStoreVolumeSource",
        &[
            ("volumeID", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.AppArmorProfile",
        &[
            ("type", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.AttachedVolume",
        &[
            ("devicePath", Zero::Str),
            ("name", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.AzureDiskVolumeSource",
        &[
            ("diskName", Zero::Str),
            ("diskURI", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.AzureFilePersistentVolumeSource",
        &[
            ("secretName", Zero::Str),
            ("secretNamespace", Zero::Null),
            ("shareName", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.AzureFileVolumeSource",
        &[
            ("secretName", Zero::Str),
            ("shareName", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.Binding",
        &[
            ("metadata", Zero::Struct),
            ("target", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.core.v1.CSIPersistentVolumeSource",
        &[
            ("driver", Zero::Str),
            ("volumeHandle", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.CSIVolumeSource",
        &[
            ("driver", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.CephFSPersistentVolumeSource",
        &[
            ("monitors", Zero::Null),
        ],
    ),
    (
        "io.k8s.api.core.v1.CephFSVolumeSource",
        &[
            ("monitors", Zero::Null),
        ],
    ),
    (
        "io.k8s.api.core.v1.CinderPersistentVolumeSource",
        &[
            ("volumeID", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.CinderVolumeSource",
        &[
            ("volumeID", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.ClusterTrustBundleProjection",
        &[
            ("path", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.ComponentCondition",
        &[
            ("status", Zero::Str),
            ("type", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.ComponentStatus",
        &[
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.core.v1.ComponentStatusList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.core.v1.ConfigMap",
        &[
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.core.v1.ConfigMapKeySelector",
        &[
            ("key", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.ConfigMapList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.core.v1.ConfigMapNodeConfigSource",
        &[
            ("kubeletConfigKey", Zero::Str),
            ("name", Zero::Str),
            ("namespace", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.Container",
        &[
            ("name", Zero::Str),
            ("resources", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.core.v1.ContainerExtendedResourceRequest",
        &[
            ("containerName", Zero::Str),
            ("requestName", Zero::Str),
            ("resourceName", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.ContainerImage",
        &[
            ("names", Zero::Null),
        ],
    ),
    (
        "io.k8s.api.core.v1.ContainerPort",
        &[
            ("containerPort", Zero::Int),
        ],
    ),
    (
        "io.k8s.api.core.v1.ContainerResizePolicy",
        &[
            ("resourceName", Zero::Str),
            ("restartPolicy", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.ContainerStateRunning",
        &[
            ("startedAt", Zero::Null),
        ],
    ),
    (
        "io.k8s.api.core.v1.ContainerStateTerminated",
        &[
            ("exitCode", Zero::Int),
            ("finishedAt", Zero::Null),
            ("startedAt", Zero::Null),
        ],
    ),
    (
        "io.k8s.api.core.v1.ContainerStatus",
        &[
            ("image", Zero::Str),
            ("imageID", Zero::Str),
            ("lastState", Zero::Struct),
            ("name", Zero::Str),
            ("ready", Zero::Bool),
            ("restartCount", Zero::Int),
            ("state", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.core.v1.DaemonEndpoint",
        &[
            ("Port", Zero::Int),
        ],
    ),
    (
        "io.k8s.api.core.v1.DownwardAPIVolumeFile",
        &[
            ("path", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.EndpointAddress",
        &[
            ("ip", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.EndpointPort",
        &[
            ("port", Zero::Int),
        ],
    ),
    (
        "io.k8s.api.core.v1.Endpoints",
        &[
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.core.v1.EndpointsList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.core.v1.EnvVar",
        &[
            ("name", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.EphemeralContainer",
        &[
            ("name", Zero::Str),
            ("resources", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.core.v1.Event",
        &[
            ("eventTime", Zero::Null),
            ("firstTimestamp", Zero::Null),
            ("involvedObject", Zero::Struct),
            ("lastTimestamp", Zero::Null),
            ("metadata", Zero::Struct),
            ("reportingComponent", Zero::Str),
            ("reportingInstance", Zero::Str),
            ("source", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.core.v1.EventList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.core.v1.EventSeries",
        &[
            ("lastObservedTime", Zero::Null),
        ],
    ),
    (
        "io.k8s.api.core.v1.FileKeySelector",
        &[
            ("key", Zero::Str),
            ("path", Zero::Str),
            ("volumeName", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.FlexPersistentVolumeSource",
        &[
            ("driver", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.FlexVolumeSource",
        &[
            ("driver", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.GCEPersistentDiskVolumeSource",
        &[
            ("pdName", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.GRPCAction",
        &[
            ("port", Zero::Int),
            ("service", Zero::Null),
        ],
    ),
    (
        "io.k8s.api.core.v1.GitRepoVolumeSource",
        &[
            ("repository", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.GlusterfsPersistentVolumeSource",
        &[
            ("endpoints", Zero::Str),
            ("path", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.GlusterfsVolumeSource",
        &[
            ("endpoints", Zero::Str),
            ("path", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.HTTPGetAction",
        &[
            ("port", Zero::Int),
        ],
    ),
    (
        "io.k8s.api.core.v1.HTTPHeader",
        &[
            ("name", Zero::Str),
            ("value", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.HostAlias",
        &[
            ("ip", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.HostIP",
        &[
            ("ip", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.HostPathVolumeSource",
        &[
            ("path", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.ISCSIPersistentVolumeSource",
        &[
            ("iqn", Zero::Str),
            ("lun", Zero::Int),
            ("targetPortal", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.ISCSIVolumeSource",
        &[
            ("iqn", Zero::Str),
            ("lun", Zero::Int),
            ("targetPortal", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.KeyToPath",
        &[
            ("key", Zero::Str),
            ("path", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.LimitRange",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.core.v1.LimitRangeItem",
        &[
            ("type", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.LimitRangeList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.core.v1.LimitRangeSpec",
        &[
            ("limits", Zero::Null),
        ],
    ),
    (
        "io.k8s.api.core.v1.LinuxContainerUser",
        &[
            ("gid", Zero::Int),
            ("uid", Zero::Int),
        ],
    ),
    (
        "io.k8s.api.core.v1.LocalVolumeSource",
        &[
            ("path", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.ModifyVolumeStatus",
        &[
            ("status", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.NFSVolumeSource",
        &[
            ("path", Zero::Str),
            ("server", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.Namespace",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
            ("status", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.core.v1.NamespaceCondition",
        &[
            ("lastTransitionTime", Zero::Null),
            ("status", Zero::Str),
            ("type", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.NamespaceList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.core.v1.Node",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
            ("status", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.core.v1.NodeAddress",
        &[
            ("address", Zero::Str),
            ("type", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.NodeAllocatableResourceClaimStatus",
        &[
            ("resourceClaimName", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.NodeCondition",
        &[
            ("lastHeartbeatTime", Zero::Null),
            ("lastTransitionTime", Zero::Null),
            ("status", Zero::Str),
            ("type", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.NodeDaemonEndpoints",
        &[
            ("kubeletEndpoint", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.core.v1.NodeList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.core.v1.NodeRuntimeHandler",
        &[
            ("name", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.NodeSelector",
        &[
            ("nodeSelectorTerms", Zero::Null),
        ],
    ),
    (
        "io.k8s.api.core.v1.NodeSelectorRequirement",
        &[
            ("key", Zero::Str),
            ("operator", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.NodeStatus",
        &[
            ("daemonEndpoints", Zero::Struct),
            ("nodeInfo", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.core.v1.NodeSystemInfo",
        &[
            ("architecture", Zero::Str),
            ("bootID", Zero::Str),
            ("containerRuntimeVersion", Zero::Str),
            ("kernelVersion", Zero::Str),
            ("kubeProxyVersion", Zero::Str),
            ("kubeletVersion", Zero::Str),
            ("machineID", Zero::Str),
            ("operatingSystem", Zero::Str),
            ("osImage", Zero::Str),
            ("systemUUID", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.ObjectFieldSelector",
        &[
            ("fieldPath", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.PersistentVolume",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
            ("status", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.core.v1.PersistentVolumeClaim",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
            ("status", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.core.v1.PersistentVolumeClaimCondition",
        &[
            ("lastProbeTime", Zero::Null),
            ("lastTransitionTime", Zero::Null),
            ("status", Zero::Str),
            ("type", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.PersistentVolumeClaimList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.core.v1.PersistentVolumeClaimSpec",
        &[
            ("resources", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.core.v1.PersistentVolumeClaimTemplate",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.core.v1.PersistentVolumeClaimVolumeSource",
        &[
            ("claimName", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.PersistentVolumeList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.core.v1.PhotonPersistentDiskVolumeSource",
        &[
            ("pdID", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.Pod",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
            ("status", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.core.v1.PodAffinityTerm",
        &[
            ("topologyKey", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.PodCondition",
        &[
            ("lastProbeTime", Zero::Null),
            ("lastTransitionTime", Zero::Null),
            ("status", Zero::Str),
            ("type", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.PodExtendedResourceClaimStatus",
        &[
            ("requestMappings", Zero::Null),
            ("resourceClaimName", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.PodIP",
        &[
            ("ip", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.PodList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.core.v1.PodOS",
        &[
            ("name", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.PodReadinessGate",
        &[
            ("conditionType", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.PodResourceClaim",
        &[
            ("name", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.PodResourceClaimStatus",
        &[
            ("name", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.PodSchedulingGate",
        &[
            ("name", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.PodSpec",
        &[
            ("containers", Zero::Null),
        ],
    ),
    (
        "io.k8s.api.core.v1.PodTemplate",
        &[
            ("metadata", Zero::Struct),
            ("template", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.core.v1.PodTemplateList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.core.v1.PodTemplateSpec",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.core.v1.PortStatus",
        &[
            ("port", Zero::Int),
            ("protocol", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.PortworxVolumeSource",
        &[
            ("volumeID", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.PreferredSchedulingTerm",
        &[
            ("preference", Zero::Struct),
            ("weight", Zero::Int),
        ],
    ),
    (
        "io.k8s.api.core.v1.ProjectedVolumeSource",
        &[
            ("sources", Zero::Null),
        ],
    ),
    (
        "io.k8s.api.core.v1.QuobyteVolumeSource",
        &[
            ("registry", Zero::Str),
            ("volume", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.RBDPersistentVolumeSource",
        &[
            ("image", Zero::Str),
            ("monitors", Zero::Null),
        ],
    ),
    (
        "io.k8s.api.core.v1.RBDVolumeSource",
        &[
            ("image", Zero::Str),
            ("monitors", Zero::Null),
        ],
    ),
    (
        "io.k8s.api.core.v1.ReplicationController",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
            ("status", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.core.v1.ReplicationControllerCondition",
        &[
            ("lastTransitionTime", Zero::Null),
            ("status", Zero::Str),
            ("type", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.ReplicationControllerList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.core.v1.ReplicationControllerStatus",
        &[
            ("replicas", Zero::Int),
        ],
    ),
    (
        "io.k8s.api.core.v1.ResourceClaim",
        &[
            ("name", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.ResourceFieldSelector",
        &[
            ("divisor", Zero::Quantity),
            ("resource", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.ResourceHealth",
        &[
            ("resourceID", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.ResourceQuota",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
            ("status", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.core.v1.ResourceQuotaList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.core.v1.ResourceStatus",
        &[
            ("name", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.ScaleIOPersistentVolumeSource",
        &[
            ("gateway", Zero::Str),
            ("secretRef", Zero::Null),
            ("system", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.ScaleIOVolumeSource",
        &[
            ("gateway", Zero::Str),
            ("secretRef", Zero::Null),
            ("system", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.ScopedResourceSelectorRequirement",
        &[
            ("operator", Zero::Str),
            ("scopeName", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.SeccompProfile",
        &[
            ("type", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.Secret",
        &[
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.core.v1.SecretKeySelector",
        &[
            ("key", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.SecretList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.core.v1.Service",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
            ("status", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.core.v1.ServiceAccount",
        &[
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.core.v1.ServiceAccountList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.core.v1.ServiceAccountTokenProjection",
        &[
            ("path", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.ServiceList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.core.v1.ServicePort",
        &[
            ("port", Zero::Int),
            ("targetPort", Zero::Int),
        ],
    ),
    (
        "io.k8s.api.core.v1.ServiceStatus",
        &[
            ("loadBalancer", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.core.v1.SleepAction",
        &[
            ("seconds", Zero::Int),
        ],
    ),
    (
        "io.k8s.api.core.v1.Sysctl",
        &[
            ("name", Zero::Str),
            ("value", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.TCPSocketAction",
        &[
            ("port", Zero::Int),
        ],
    ),
    (
        "io.k8s.api.core.v1.Taint",
        &[
            ("effect", Zero::Str),
            ("key", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.TopologySelectorLabelRequirement",
        &[
            ("key", Zero::Str),
            ("values", Zero::Null),
        ],
    ),
    (
        "io.k8s.api.core.v1.TopologySpreadConstraint",
        &[
            ("maxSkew", Zero::Int),
            ("topologyKey", Zero::Str),
            ("whenUnsatisfiable", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.TypedLocalObjectReference",
        &[
            ("apiGroup", Zero::Null),
            ("kind", Zero::Str),
            ("name", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.TypedObjectReference",
        &[
            ("apiGroup", Zero::Null),
            ("kind", Zero::Str),
            ("name", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.Volume",
        &[
            ("name", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.VolumeDevice",
        &[
            ("devicePath", Zero::Str),
            ("name", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.VolumeMount",
        &[
            ("mountPath", Zero::Str),
            ("name", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.VolumeMountStatus",
        &[
            ("mountPath", Zero::Str),
            ("name", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.VsphereVirtualDiskVolumeSource",
        &[
            ("volumePath", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.core.v1.WeightedPodAffinityTerm",
        &[
            ("podAffinityTerm", Zero::Struct),
            ("weight", Zero::Int),
        ],
    ),
    (
        "io.k8s.api.discovery.v1.Endpoint",
        &[
            ("addresses", Zero::Null),
            ("conditions", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.discovery.v1.EndpointSlice",
        &[
            ("addressType", Zero::Str),
            ("endpoints", Zero::Null),
            ("metadata", Zero::Struct),
            ("ports", Zero::Null),
        ],
    ),
    (
        "io.k8s.api.discovery.v1.EndpointSliceList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.discovery.v1.ForNode",
        &[
            ("name", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.discovery.v1.ForZone",
        &[
            ("name", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.events.v1.Event",
        &[
            ("deprecatedFirstTimestamp", Zero::Null),
            ("deprecatedLastTimestamp", Zero::Null),
            ("deprecatedSource", Zero::Struct),
            ("eventTime", Zero::Null),
            ("metadata", Zero::Struct),
            ("regarding", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.events.v1.EventList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.events.v1.EventSeries",
        &[
            ("count", Zero::Int),
            ("lastObservedTime", Zero::Null),
        ],
    ),
    (
        "io.k8s.api.flowcontrol.v1.FlowDistinguisherMethod",
        &[
            ("type", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.flowcontrol.v1.FlowSchema",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
            ("status", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.flowcontrol.v1.FlowSchemaCondition",
        &[
            ("lastTransitionTime", Zero::Null),
        ],
    ),
    (
        "io.k8s.api.flowcontrol.v1.FlowSchemaList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.flowcontrol.v1.FlowSchemaSpec",
        &[
            ("matchingPrecedence", Zero::Int),
            ("priorityLevelConfiguration", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.flowcontrol.v1.GroupSubject",
        &[
            ("name", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.flowcontrol.v1.LimitResponse",
        &[
            ("type", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.flowcontrol.v1.LimitedPriorityLevelConfiguration",
        &[
            ("limitResponse", Zero::Struct),
            ("nominalConcurrencyShares", Zero::Null),
        ],
    ),
    (
        "io.k8s.api.flowcontrol.v1.NonResourcePolicyRule",
        &[
            ("nonResourceURLs", Zero::Null),
            ("verbs", Zero::Null),
        ],
    ),
    (
        "io.k8s.api.flowcontrol.v1.PolicyRulesWithSubjects",
        &[
            ("subjects", Zero::Null),
        ],
    ),
    (
        "io.k8s.api.flowcontrol.v1.PriorityLevelConfiguration",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
            ("status", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.flowcontrol.v1.PriorityLevelConfigurationCondition",
        &[
            ("lastTransitionTime", Zero::Null),
        ],
    ),
    (
        "io.k8s.api.flowcontrol.v1.PriorityLevelConfigurationList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.flowcontrol.v1.PriorityLevelConfigurationReference",
        &[
            ("name", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.flowcontrol.v1.PriorityLevelConfigurationSpec",
        &[
            ("type", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.flowcontrol.v1.QueuingConfiguration",
        &[
            ("handSize", Zero::Int),
            ("queueLengthLimit", Zero::Int),
            ("queues", Zero::Int),
        ],
    ),
    (
        "io.k8s.api.flowcontrol.v1.ResourcePolicyRule",
        &[
            ("apiGroups", Zero::Null),
            ("namespaces", Zero::Null),
            ("resources", Zero::Null),
            ("verbs", Zero::Null),
        ],
    ),
    (
        "io.k8s.api.flowcontrol.v1.ServiceAccountSubject",
        &[
            ("name", Zero::Str),
            ("namespace", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.flowcontrol.v1.Subject",
        &[
            ("kind", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.flowcontrol.v1.UserSubject",
        &[
            ("name", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.networking.v1.HTTPIngressPath",
        &[
            ("backend", Zero::Struct),
            ("pathType", Zero::Null),
        ],
    ),
    (
        "io.k8s.api.networking.v1.HTTPIngressRuleValue",
        &[
            ("paths", Zero::Null),
        ],
    ),
    (
        "io.k8s.api.networking.v1.IPAddress",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.networking.v1.IPAddressList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.networking.v1.IPBlock",
        &[
            ("cidr", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.networking.v1.Ingress",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
            ("status", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.networking.v1.IngressClass",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.networking.v1.IngressClassList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.networking.v1.IngressClassParametersReference",
        &[
            ("kind", Zero::Str),
            ("name", Zero::Str),
            ("scope", Zero::Null),
        ],
    ),
    (
        "io.k8s.api.networking.v1.IngressList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.networking.v1.IngressPortStatus",
        &[
            ("port", Zero::Int),
            ("protocol", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.networking.v1.IngressServiceBackend",
        &[
            ("name", Zero::Str),
            ("port", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.networking.v1.IngressStatus",
        &[
            ("loadBalancer", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.networking.v1.NetworkPolicy",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.networking.v1.NetworkPolicyList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.networking.v1.NetworkPolicySpec",
        &[
            ("podSelector", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.networking.v1.ServiceCIDR",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
            ("status", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.networking.v1.ServiceCIDRList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.node.v1.RuntimeClass",
        &[
            ("handler", Zero::Str),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.node.v1.RuntimeClassList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.policy.v1.Eviction",
        &[
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.policy.v1.PodDisruptionBudget",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
            ("status", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.policy.v1.PodDisruptionBudgetList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.policy.v1.PodDisruptionBudgetStatus",
        &[
            ("currentHealthy", Zero::Int),
            ("desiredHealthy", Zero::Int),
            ("disruptionsAllowed", Zero::Int),
            ("expectedPods", Zero::Int),
        ],
    ),
    (
        "io.k8s.api.rbac.v1.ClusterRole",
        &[
            ("metadata", Zero::Struct),
            ("rules", Zero::Null),
        ],
    ),
    (
        "io.k8s.api.rbac.v1.ClusterRoleBinding",
        &[
            ("metadata", Zero::Struct),
            ("roleRef", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.rbac.v1.ClusterRoleBindingList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.rbac.v1.ClusterRoleList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.rbac.v1.PolicyRule",
        &[
            ("verbs", Zero::Null),
        ],
    ),
    (
        "io.k8s.api.rbac.v1.Role",
        &[
            ("metadata", Zero::Struct),
            ("rules", Zero::Null),
        ],
    ),
    (
        "io.k8s.api.rbac.v1.RoleBinding",
        &[
            ("metadata", Zero::Struct),
            ("roleRef", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.rbac.v1.RoleBindingList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.rbac.v1.RoleList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.rbac.v1.RoleRef",
        &[
            ("apiGroup", Zero::Str),
            ("kind", Zero::Str),
            ("name", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.rbac.v1.Subject",
        &[
            ("kind", Zero::Str),
            ("name", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.resource.v1.AllocatedDeviceStatus",
        &[
            ("conditions", Zero::Null),
            ("device", Zero::Str),
            ("driver", Zero::Str),
            ("pool", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.resource.v1.AllocationResult",
        &[
            ("devices", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.resource.v1.CELDeviceSelector",
        &[
            ("expression", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.resource.v1.CapacityRequestPolicy",
        &[
            ("default", Zero::Null),
        ],
    ),
    (
        "io.k8s.api.resource.v1.Counter",
        &[
            ("value", Zero::Quantity),
        ],
    ),
    (
        "io.k8s.api.resource.v1.CounterSet",
        &[
            ("name", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.resource.v1.Device",
        &[
            ("name", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.resource.v1.DeviceAllocationConfiguration",
        &[
            ("source", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.resource.v1.DeviceCapacity",
        &[
            ("value", Zero::Quantity),
        ],
    ),
    (
        "io.k8s.api.resource.v1.DeviceClaim",
        &[
            ("requests", Zero::Null),
        ],
    ),
    (
        "io.k8s.api.resource.v1.DeviceClass",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.resource.v1.DeviceClassList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.resource.v1.DeviceCounterConsumption",
        &[
            ("counterSet", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.resource.v1.DeviceRequest",
        &[
            ("name", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.resource.v1.DeviceRequestAllocationResult",
        &[
            ("device", Zero::Str),
            ("driver", Zero::Str),
            ("pool", Zero::Str),
            ("request", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.resource.v1.DeviceSubRequest",
        &[
            ("deviceClassName", Zero::Str),
            ("name", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.resource.v1.DeviceTaint",
        &[
            ("effect", Zero::Str),
            ("key", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.resource.v1.ExactDeviceRequest",
        &[
            ("deviceClassName", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.resource.v1.OpaqueDeviceConfiguration",
        &[
            ("driver", Zero::Str),
            ("parameters", Zero::Null),
        ],
    ),
    (
        "io.k8s.api.resource.v1.ResourceClaim",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
            ("status", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.resource.v1.ResourceClaimConsumerReference",
        &[
            ("name", Zero::Str),
            ("resource", Zero::Str),
            ("uid", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.resource.v1.ResourceClaimList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.resource.v1.ResourceClaimSpec",
        &[
            ("devices", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.resource.v1.ResourceClaimTemplate",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.resource.v1.ResourceClaimTemplateList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.resource.v1.ResourceClaimTemplateSpec",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.resource.v1.ResourcePool",
        &[
            ("generation", Zero::Int),
            ("name", Zero::Str),
            ("resourceSliceCount", Zero::Int),
        ],
    ),
    (
        "io.k8s.api.resource.v1.ResourceSlice",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.resource.v1.ResourceSliceList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.resource.v1.ResourceSliceSpec",
        &[
            ("driver", Zero::Str),
            ("pool", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.scheduling.v1.PriorityClass",
        &[
            ("metadata", Zero::Struct),
            ("value", Zero::Int),
        ],
    ),
    (
        "io.k8s.api.scheduling.v1.PriorityClassList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.storage.v1.CSIDriver",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.storage.v1.CSIDriverList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.storage.v1.CSINode",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.storage.v1.CSINodeDriver",
        &[
            ("name", Zero::Str),
            ("nodeID", Zero::Str),
            ("topologyKeys", Zero::Null),
        ],
    ),
    (
        "io.k8s.api.storage.v1.CSINodeList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.storage.v1.CSINodeSpec",
        &[
            ("drivers", Zero::Null),
        ],
    ),
    (
        "io.k8s.api.storage.v1.CSIStorageCapacity",
        &[
            ("metadata", Zero::Struct),
            ("storageClassName", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.storage.v1.CSIStorageCapacityList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.storage.v1.StorageClass",
        &[
            ("metadata", Zero::Struct),
            ("provisioner", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.storage.v1.StorageClassList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.storage.v1.TokenRequest",
        &[
            ("audience", Zero::Str),
        ],
    ),
    (
        "io.k8s.api.storage.v1.VolumeAttachment",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
            ("status", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.storage.v1.VolumeAttachmentList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.storage.v1.VolumeAttachmentSpec",
        &[
            ("attacher", Zero::Str),
            ("nodeName", Zero::Str),
            ("source", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.storage.v1.VolumeAttachmentStatus",
        &[
            ("attached", Zero::Bool),
        ],
    ),
    (
        "io.k8s.api.storage.v1.VolumeAttributesClass",
        &[
            ("driverName", Zero::Str),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.storage.v1.VolumeAttributesClassList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.api.storage.v1.VolumeError",
        &[
            ("time", Zero::Null),
        ],
    ),
    (
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceColumnDefinition",
        &[
            ("jsonPath", Zero::Str),
            ("name", Zero::Str),
            ("type", Zero::Str),
        ],
    ),
    (
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceConversion",
        &[
            ("strategy", Zero::Str),
        ],
    ),
    (
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition",
        &[
            ("metadata", Zero::Struct),
            ("spec", Zero::Struct),
            ("status", Zero::Struct),
        ],
    ),
    (
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinitionCondition",
        &[
            ("lastTransitionTime", Zero::Null),
            ("status", Zero::Str),
            ("type", Zero::Str),
        ],
    ),
    (
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinitionList",
        &[
            ("items", Zero::Null),
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinitionNames",
        &[
            ("kind", Zero::Str),
            ("plural", Zero::Str),
        ],
    ),
    (
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinitionSpec",
        &[
            ("group", Zero::Str),
            ("names", Zero::Struct),
            ("scope", Zero::Str),
            ("versions", Zero::Null),
        ],
    ),
    (
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinitionStatus",
        &[
            ("acceptedNames", Zero::Struct),
            ("conditions", Zero::Null),
            ("storedVersions", Zero::Null),
        ],
    ),
    (
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinitionVersion",
        &[
            ("name", Zero::Str),
            ("served", Zero::Bool),
            ("storage", Zero::Bool),
        ],
    ),
    (
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceSubresourceScale",
        &[
            ("specReplicasPath", Zero::Str),
            ("statusReplicasPath", Zero::Str),
        ],
    ),
    (
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.SelectableField",
        &[
            ("jsonPath", Zero::Str),
        ],
    ),
    (
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.ServiceReference",
        &[
            ("name", Zero::Str),
            ("namespace", Zero::Str),
        ],
    ),
    (
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.ValidationRule",
        &[
            ("rule", Zero::Str),
        ],
    ),
    (
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.WebhookConversion",
        &[
            ("conversionReviewVersions", Zero::Null),
        ],
    ),
    (
        "io.k8s.apimachinery.pkg.apis.meta.v1.APIGroup",
        &[
            ("name", Zero::Str),
            ("preferredVersion", Zero::Struct),
            ("versions", Zero::Null),
        ],
    ),
    (
        "io.k8s.apimachinery.pkg.apis.meta.v1.APIGroupList",
        &[
            ("groups", Zero::Null),
        ],
    ),
    (
        "io.k8s.apimachinery.pkg.apis.meta.v1.APIResource",
        &[
            ("kind", Zero::Str),
            ("name", Zero::Str),
            ("namespaced", Zero::Bool),
            ("singularName", Zero::Str),
            ("verbs", Zero::Null),
        ],
    ),
    (
        "io.k8s.apimachinery.pkg.apis.meta.v1.APIResourceList",
        &[
            ("groupVersion", Zero::Str),
            ("resources", Zero::Null),
        ],
    ),
    (
        "io.k8s.apimachinery.pkg.apis.meta.v1.APIVersions",
        &[
            ("serverAddressByClientCIDRs", Zero::Null),
            ("versions", Zero::Null),
        ],
    ),
    (
        "io.k8s.apimachinery.pkg.apis.meta.v1.Condition",
        &[
            ("lastTransitionTime", Zero::Null),
            ("message", Zero::Str),
            ("reason", Zero::Str),
            ("status", Zero::Str),
            ("type", Zero::Str),
        ],
    ),
    (
        "io.k8s.apimachinery.pkg.apis.meta.v1.FieldSelectorRequirement",
        &[
            ("key", Zero::Str),
            ("operator", Zero::Str),
        ],
    ),
    (
        "io.k8s.apimachinery.pkg.apis.meta.v1.GroupVersionForDiscovery",
        &[
            ("groupVersion", Zero::Str),
            ("version", Zero::Str),
        ],
    ),
    (
        "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement",
        &[
            ("key", Zero::Str),
            ("operator", Zero::Str),
        ],
    ),
    (
        "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
        &[
            ("creationTimestamp", Zero::Null),
        ],
    ),
    (
        "io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference",
        &[
            ("apiVersion", Zero::Str),
            ("kind", Zero::Str),
            ("name", Zero::Str),
            ("uid", Zero::Str),
        ],
    ),
    (
        "io.k8s.apimachinery.pkg.apis.meta.v1.ServerAddressByClientCIDR",
        &[
            ("clientCIDR", Zero::Str),
            ("serverAddress", Zero::Str),
        ],
    ),
    (
        "io.k8s.apimachinery.pkg.apis.meta.v1.ShardInfo",
        &[
            ("selector", Zero::Str),
        ],
    ),
    (
        "io.k8s.apimachinery.pkg.apis.meta.v1.Status",
        &[
            ("metadata", Zero::Struct),
        ],
    ),
    (
        "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent",
        &[
            ("object", Zero::Null),
            ("type", Zero::Str),
        ],
    ),
];
