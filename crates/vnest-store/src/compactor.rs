//! Automatic compaction: keep a bounded window of history on any backend.
//!
//! History is kept while it is within the last `keep_revisions` revisions *or* younger
//! than `keep_for`; anything older than both goes. Revisions carry no timestamps, so
//! the compactor samples the current revision on every tick and remembers when it saw
//! each one.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::{Revision, Store};

#[derive(Clone, Debug)]
pub struct CompactionPolicy {
    pub keep_revisions: u64,
    pub keep_for: Duration,
    pub interval: Duration,
}

impl Default for CompactionPolicy {
    fn default() -> Self {
        CompactionPolicy {
            keep_revisions: 10_000,
            keep_for: Duration::from_secs(300),
            interval: Duration::from_secs(30),
        }
    }
}

/// The revision to compact to, given `(when, revision)` samples in time order, or
/// `None` when nothing may be compacted yet.
pub fn compaction_target(
    samples: &VecDeque<(Instant, Revision)>,
    now: Instant,
    current: Revision,
    already_compacted: Revision,
    policy: &CompactionPolicy,
) -> Option<Revision> {
    let by_count = current.saturating_sub(policy.keep_revisions);
    // The newest revision that was already current `keep_for` ago: everything written
    // after it is younger than the window.
    let by_age = samples
        .iter()
        .rev()
        .find(|(seen, _)| now.saturating_duration_since(*seen) >= policy.keep_for)
        .map(|(_, rev)| *rev)?;
    let target = by_count.min(by_age);
    (target > already_compacted).then_some(target)
}

/// Runs compaction every `policy.interval` until the returned task is aborted.
pub fn spawn_compactor(
    store: Arc<dyn Store>,
    policy: CompactionPolicy,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut samples: VecDeque<(Instant, Revision)> = VecDeque::new();
        let mut ticker = tokio::time::interval(policy.interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let (current, compacted) = match (
                store.current_revision().await,
                store.compacted_revision().await,
            ) {
                (Ok(c), Ok(k)) => (c, k),
                (Err(e), _) | (_, Err(e)) => {
                    tracing::warn!(error = %e, "compactor cannot read revisions");
                    continue;
                }
            };
            let now = Instant::now();
            samples.push_back((now, current));
            if let Some(target) = compaction_target(&samples, now, current, compacted, &policy) {
                match store.compact(target).await {
                    Ok(()) => tracing::debug!(backend = store.backend(), target, "compacted"),
                    Err(e) => tracing::warn!(error = %e, target, "compaction failed"),
                }
            }
            // Samples older than the window are only needed up to the newest of them.
            while samples.len() > 1
                && now.saturating_duration_since(samples[1].0) >= policy.keep_for
            {
                samples.pop_front();
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> CompactionPolicy {
        CompactionPolicy {
            keep_revisions: 100,
            keep_for: Duration::from_secs(300),
            interval: Duration::from_secs(30),
        }
    }

    #[test]
    fn nothing_is_compacted_before_the_time_window_passed() {
        let t0 = Instant::now();
        let samples: VecDeque<_> = [(t0, 10), (t0 + Duration::from_secs(60), 5000)].into();
        let now = t0 + Duration::from_secs(120);
        assert_eq!(compaction_target(&samples, now, 5000, 0, &policy()), None);
    }

    #[test]
    fn old_and_far_behind_history_is_compacted() {
        let t0 = Instant::now();
        let samples: VecDeque<_> = [
            (t0, 1000),
            (t0 + Duration::from_secs(200), 3000),
            (t0 + Duration::from_secs(400), 9000),
        ]
        .into();
        let now = t0 + Duration::from_secs(400);
        // Revision 1000 was current 400 s ago: older than the window, and 8000 behind.
        assert_eq!(
            compaction_target(&samples, now, 9000, 0, &policy()),
            Some(1000)
        );
        // Already done: nothing new.
        assert_eq!(
            compaction_target(&samples, now, 9000, 1000, &policy()),
            None
        );
    }

    #[test]
    fn the_last_revisions_are_kept_even_when_old() {
        let t0 = Instant::now();
        let samples: VecDeque<_> = [(t0, 150), (t0 + Duration::from_secs(600), 160)].into();
        let now = t0 + Duration::from_secs(600);
        // 160 - 100 = 60 is the newest the count allows.
        assert_eq!(
            compaction_target(&samples, now, 160, 0, &policy()),
            Some(60)
        );
    }
}
