//! The in-cluster deployment of one vnest virtual cluster.
//!
//! `deploy/chart/` is a Helm chart (so `helm install` works too); this crate embeds it
//! and renders it the way `helm template` does, then applies the objects to a host
//! cluster with server-side apply. What `vnest create --driver kubernetes` does:
//!
//! ```no_run
//! # async fn demo(client: kube::Client) -> Result<(), Box<dyn std::error::Error>> {
//! use vnest_deploy::{apply, render, values_from, Release};
//! let values = values_from(Some("store:\n  type: sqlite\n"), &["isolation.enabled=true"])?;
//! let release = Release::new("demo", "vc-demo");
//! let objects = render(&release, &values)?;
//! apply(&client, &objects, vnest_deploy::FIELD_MANAGER).await?;
//! // ... and to remove it again:
//! vnest_deploy::delete(&client, "vc-demo", "demo").await?;
//! # Ok(()) }
//! ```
//!
//! - [`values`]: the typed values (`values.yaml`), merging a values file, `--set`.
//! - [`render`](mod@render): the chart, embedded, rendered with Go template semantics.
//! - [`apply`](mod@apply): server-side apply in dependency order, and delete.
//! - [`kubeconfig`]: the `vc-NAME` Secret holding the admin kubeconfig, which the
//!   control plane writes when it runs in a pod.

pub mod apply;
pub mod kubeconfig;
pub mod render;
pub mod values;

pub use apply::{apply, delete, ApplyError, FIELD_MANAGER};
pub use kubeconfig::{secret_name, write_kubeconfig_secret, KubeconfigError, KUBECONFIG_KEY};
pub use render::{render, render_with, Release, RenderError, CHART_FILES};
pub use values::{apply_set, merge_values, values_from, SetError, StoreType, Values, ValuesError};
