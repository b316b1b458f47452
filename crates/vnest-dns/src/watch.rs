//! Keeps a [`SharedZone`] current: list+watch of the virtual cluster's Services and
//! Endpoints (restarting watches, as the controllers use), and a new snapshot after
//! every batch of changes. The zone is marked ready once both lists are complete.

use k8s_openapi::api::core::v1::{Endpoints, Service};
use kube::api::Api;
use kube::runtime::watcher;
use kube::Client;
use vnest_controllers::informer::{watch_channel, Store};

use crate::server::SharedZone;
use crate::zone::{Zone, ZoneConfig};

/// Folds one event in; true once the store has seen a complete list.
fn fold<K: kube::Resource + Clone>(store: &mut Store<K>, synced: &mut bool, ev: watcher::Event<K>) {
    if matches!(ev, watcher::Event::InitDone) {
        *synced = true;
    }
    store.apply(ev);
}

/// Runs until the task is aborted.
pub async fn run(client: Client, zone: SharedZone, cfg: ZoneConfig) {
    let mut services_rx = watch_channel(Api::<Service>::all(client.clone()));
    let mut endpoints_rx = watch_channel(Api::<Endpoints>::all(client));
    let mut services: Store<Service> = Store::default();
    let mut endpoints: Store<Endpoints> = Store::default();
    let (mut services_synced, mut endpoints_synced) = (false, false);
    // The SOA serial: seconds since the epoch at start, then one per snapshot.
    let mut serial = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as u32)
        .unwrap_or(1);
    loop {
        tokio::select! {
            Some(ev) = services_rx.recv() => fold(&mut services, &mut services_synced, ev),
            Some(ev) = endpoints_rx.recv() => fold(&mut endpoints, &mut endpoints_synced, ev),
            else => return,
        }
        while let Ok(ev) = services_rx.try_recv() {
            fold(&mut services, &mut services_synced, ev);
        }
        while let Ok(ev) = endpoints_rx.try_recv() {
            fold(&mut endpoints, &mut endpoints_synced, ev);
        }
        if services_synced && endpoints_synced {
            serial = serial.wrapping_add(1);
            zone.set(Zone::build(
                &cfg,
                serial,
                services.objects.values(),
                endpoints.objects.values(),
            ));
            tracing::debug!(
                services = services.objects.len(),
                endpoints = endpoints.objects.len(),
                "DNS zone updated"
            );
        }
    }
}
