//! `vnest-syncer`: how a virtual cluster's objects become objects in one host
//! namespace and back. This crate starts with the pure half, free of I/O and tested in
//! milliseconds:
//!
//! - [`names`]: host names (`<name>-x-<namespace>-x-<vcluster>`, hashed past 63
//!   characters) and the markers (labels, annotations) every host object carries; the
//!   reverse mapping reads annotations, never names.
//! - [`translate`]: virtual object -> host object rewrites (pods, services,
//!   configmaps, secrets) and host status -> virtual status.
//!
//! And the I/O half, [`sync`]: the loop that keeps virtual pods (with the configmaps,
//! secrets and service-account tokens they use) running as host pods; and [`proxy`],
//! which serves `pods/log` of virtual pods from their host pods; [`services`], which
//! gives virtual Services the host's addresses at create time.

pub mod names;
pub mod nodes;
pub mod proxy;
pub mod services;
pub mod sync;
pub mod translate;
