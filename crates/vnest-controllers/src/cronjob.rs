//! The CronJob controller: Jobs named `<cronjob>-<minutes since the epoch>` at the
//! times of a standard five-field schedule (or `@hourly`-style macros), with
//! concurrencyPolicy Allow/Forbid/Replace, suspend, startingDeadlineSeconds, the
//! status (active, lastScheduleTime, lastSuccessfulTime) and history limits.

use std::collections::BTreeSet;

use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::jiff::{Timestamp, ToSpan};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::{Client, ResourceExt};
use serde_json::json;

use crate::informer::{controller_uid, is_status, watch_channel, Store};

const MANAGER: &str = "cronjob-controller";
const SCHEDULED: &str = "batch.kubernetes.io/cronjob-scheduled-timestamp";

/// A parsed five-field schedule: the allowed values of each field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    minutes: BTreeSet<u8>,
    hours: BTreeSet<u8>,
    days: BTreeSet<u8>,
    months: BTreeSet<u8>,
    weekdays: BTreeSet<u8>,
    /// Day-of-month and day-of-week both restricted: either may match (cron's rule).
    day_or: bool,
}

fn names(field: usize, s: &str) -> String {
    let table: &[&str] = match field {
        3 => &[
            "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
        ],
        4 => &["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
        _ => &[],
    };
    let mut out = s.to_ascii_lowercase();
    for (i, n) in table.iter().enumerate() {
        let v = if field == 3 { i + 1 } else { i };
        out = out.replace(n, &v.to_string());
    }
    out
}

fn parse_field(field: usize, s: &str, lo: u8, hi: u8) -> Result<BTreeSet<u8>, String> {
    let mut out = BTreeSet::new();
    let s = names(field, s);
    for part in s.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, st)) => (r, st.parse::<u8>().map_err(|_| format!("bad step {st:?}"))?),
            None => (part, 1),
        };
        if step == 0 {
            return Err("step must be positive".into());
        }
        let (a, b) = if range == "*" || range == "?" {
            (lo, hi)
        } else if let Some((a, b)) = range.split_once('-') {
            (
                a.parse().map_err(|_| format!("bad value {a:?}"))?,
                b.parse().map_err(|_| format!("bad value {b:?}"))?,
            )
        } else {
            let v: u8 = range.parse().map_err(|_| format!("bad value {range:?}"))?;
            (v, if part.contains('/') { hi } else { v })
        };
        // Sunday may be written as 7.
        let (a, b) = if field == 4 {
            (a % 8, b.min(7))
        } else {
            (a, b)
        };
        if a < lo || b > hi.max(if field == 4 { 7 } else { hi }) || a > b {
            return Err(format!("value out of range in {part:?}"));
        }
        let mut v = a;
        while v <= b {
            out.insert(if field == 4 { v % 7 } else { v });
            v = match v.checked_add(step) {
                Some(n) => n,
                None => break,
            };
        }
    }
    Ok(out)
}

impl Schedule {
    pub fn parse(spec: &str) -> Result<Schedule, String> {
        let spec = match spec.trim() {
            "@yearly" | "@annually" => "0 0 1 1 *",
            "@monthly" => "0 0 1 * *",
            "@weekly" => "0 0 * * 0",
            "@daily" | "@midnight" => "0 0 * * *",
            "@hourly" => "0 * * * *",
            s => s,
        };
        let fields: Vec<&str> = spec.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(format!(
                "expected exactly 5 fields, found {}: {spec}",
                fields.len()
            ));
        }
        Ok(Schedule {
            minutes: parse_field(0, fields[0], 0, 59)?,
            hours: parse_field(1, fields[1], 0, 23)?,
            days: parse_field(2, fields[2], 1, 31)?,
            months: parse_field(3, fields[3], 1, 12)?,
            weekdays: parse_field(4, fields[4], 0, 6)?,
            day_or: fields[2] != "*" && fields[4] != "*",
        })
    }

    /// Whether the schedule fires at this (UTC) minute.
    pub fn matches(&self, t: Timestamp) -> bool {
        let z = t.to_zoned(k8s_openapi::jiff::tz::TimeZone::UTC);
        let dom = self.days.contains(&(z.day() as u8));
        let dow = self
            .weekdays
            .contains(&(z.weekday().to_sunday_zero_offset() as u8));
        let day = if self.day_or { dom || dow } else { dom && dow };
        self.minutes.contains(&(z.minute() as u8))
            && self.hours.contains(&(z.hour() as u8))
            && self.months.contains(&(z.month() as u8))
            && day
    }

    /// The latest firing time in (`after`, `now`], looking back at most a day.
    pub fn latest(&self, after: Timestamp, now: Timestamp) -> Option<Timestamp> {
        let minute = |t: Timestamp| {
            Timestamp::from_second(t.as_second() - t.as_second().rem_euclid(60)).ok()
        };
        let mut t = minute(now)?;
        let floor = after.max(now.checked_sub(24.hours()).ok()?);
        while t > floor {
            if self.matches(t) {
                return Some(t);
            }
            t = t.checked_sub(1.minute()).ok()?;
        }
        None
    }
}

fn job_finished(j: &Job) -> Option<&'static str> {
    for c in j.status.as_ref()?.conditions.as_ref()? {
        if c.status == "True" && c.type_ == "Complete" {
            return Some("Complete");
        }
        if c.status == "True" && c.type_ == "Failed" {
            return Some("Failed");
        }
    }
    None
}

async fn reconcile(client: &Client, cj: &CronJob, jobs: &Store<Job>, now: Timestamp) {
    let Some(spec) = cj.spec.as_ref() else { return };
    let ns = cj.namespace().unwrap_or_default();
    let uid = cj.uid().unwrap_or_default();
    let owned: Vec<&Job> = jobs
        .objects
        .values()
        .filter(|j| controller_uid(*j, "CronJob").as_deref() == Some(uid.as_str()))
        .collect();
    let job_api: Api<Job> = Api::namespaced(client.clone(), &ns);
    let mut active: Vec<&Job> = owned
        .iter()
        .copied()
        .filter(|j| job_finished(j).is_none())
        .collect();
    let mut last_schedule = cj
        .status
        .as_ref()
        .and_then(|s| s.last_schedule_time.as_ref())
        .map(|t| t.0);
    if spec.suspend != Some(true) {
        let after = last_schedule
            .or_else(|| cj.metadata.creation_timestamp.as_ref().map(|t| t.0))
            .unwrap_or(now);
        let due = Schedule::parse(&spec.schedule)
            .ok()
            .and_then(|s| s.latest(after, now));
        let too_late = |t: Timestamp| {
            spec.starting_deadline_seconds
                .is_some_and(|d| now.duration_since(t).as_secs() > d)
        };
        if let Some(t) = due.filter(|t| !too_late(*t)) {
            let policy = spec.concurrency_policy.as_deref().unwrap_or("Allow");
            let skip = policy == "Forbid" && !active.is_empty();
            if policy == "Replace" {
                for j in &active {
                    let _ = job_api
                        .delete(&j.name_any(), &DeleteParams::background())
                        .await;
                }
                active.clear();
            }
            if !skip {
                let name = format!("{}-{}", cj.name_any(), t.as_second() / 60);
                let template = &spec.job_template;
                let meta = template.metadata.clone().unwrap_or_default();
                let job = json!({
                    "apiVersion": "batch/v1", "kind": "Job",
                    "metadata": {
                        "name": name, "namespace": ns,
                        "labels": meta.labels, "annotations": {SCHEDULED: t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()},
                        "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob", "name": cj.name_any(),
                                             "uid": uid, "controller": true, "blockOwnerDeletion": true}],
                    },
                    "spec": template.spec,
                });
                let pp = PostParams {
                    field_manager: Some(MANAGER.into()),
                    ..Default::default()
                };
                match serde_json::from_value::<Job>(job) {
                    Ok(j) => match job_api.create(&pp, &j).await {
                        Ok(_) => last_schedule = Some(t),
                        Err(e) if is_status(&e, 409) => last_schedule = Some(t),
                        Err(e) => {
                            tracing::warn!(cronjob = %cj.name_any(), error = %e, "creating a job failed")
                        }
                    },
                    Err(e) => tracing::warn!(error = %e, "job template"),
                }
            } else {
                last_schedule = Some(t);
            }
        }
    }
    // History limits.
    for (kind, limit) in [
        ("Complete", spec.successful_jobs_history_limit.unwrap_or(3)),
        ("Failed", spec.failed_jobs_history_limit.unwrap_or(1)),
    ] {
        let mut done: Vec<&Job> = owned
            .iter()
            .copied()
            .filter(|j| job_finished(j) == Some(kind))
            .collect();
        done.sort_by_key(|j| j.metadata.creation_timestamp.as_ref().map(|t| t.0));
        let extra = done.len().saturating_sub(limit.max(0) as usize);
        for j in done.iter().take(extra) {
            let _ = job_api
                .delete(&j.name_any(), &DeleteParams::background())
                .await;
        }
    }
    let last_success = owned
        .iter()
        .filter(|j| job_finished(j) == Some("Complete"))
        .filter_map(|j| j.status.as_ref()?.completion_time.as_ref().map(|t| t.0))
        .max();
    let mut status = json!({
        "active": active.iter().map(|j| json!({"apiVersion": "batch/v1", "kind": "Job", "name": j.name_any(), "namespace": ns, "uid": j.uid()})).collect::<Vec<_>>(),
    });
    if let Some(t) = last_schedule {
        status["lastScheduleTime"] = json!(t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string());
    }
    if let Some(t) = last_success {
        status["lastSuccessfulTime"] = json!(t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string());
    }
    let current = serde_json::to_value(cj.status.clone().unwrap_or_default()).unwrap_or_default();
    let differs = ["active", "lastScheduleTime", "lastSuccessfulTime"]
        .iter()
        .any(|k| {
            let have = current.get(*k).filter(|v| !v.is_null() && *v != &json!([]));
            let want = status.get(*k).filter(|v| !v.is_null() && *v != &json!([]));
            have != want
        });
    if differs {
        let api: Api<CronJob> = Api::namespaced(client.clone(), &ns);
        let pp = PatchParams {
            field_manager: Some(MANAGER.into()),
            ..Default::default()
        };
        if let Err(e) = api
            .patch_status(
                &cj.name_any(),
                &pp,
                &Patch::Merge(&json!({"status": status})),
            )
            .await
        {
            tracing::debug!(cronjob = %cj.name_any(), error = %e, "cronjob status");
        }
    }
}

/// Runs forever, checking schedules every second.
pub async fn run(client: Client) {
    let mut cronjobs_w = watch_channel(Api::<CronJob>::all(client.clone()));
    let mut jobs_w = watch_channel(Api::<Job>::all(client.clone()));
    let mut cronjobs: Store<CronJob> = Store::default();
    let mut jobs: Store<Job> = Store::default();
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    loop {
        tokio::select! {
            Some(ev) = cronjobs_w.recv() => { let _ = cronjobs.apply(ev); }
            Some(ev) = jobs_w.recv() => { let _ = jobs.apply(ev); }
            _ = tick.tick() => {
                let now = Timestamp::now();
                let all: Vec<CronJob> = cronjobs.objects.values().cloned().collect();
                for cj in &all {
                    reconcile(&client, cj, &jobs, now).await;
                }
            }
            else => return,
        }
        while let Ok(ev) = jobs_w.try_recv() {
            let _ = jobs.apply(ev);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn schedules() {
        let every = Schedule::parse("* * * * *").unwrap();
        assert_eq!(
            every.latest(t("2026-01-01T00:00:00Z"), t("2026-01-01T00:02:30Z")),
            Some(t("2026-01-01T00:02:00Z"))
        );
        let quarter = Schedule::parse("*/15 9-17 * * mon-fri").unwrap();
        assert!(quarter.matches(t("2026-11-23T09:45:00Z"))); // a Monday
        assert!(!quarter.matches(t("2026-11-22T09:45:00Z"))); // Sunday
        assert!(!quarter.matches(t("2026-11-23T09:50:00Z")));
        let hourly = Schedule::parse("@hourly").unwrap();
        assert_eq!(
            hourly.latest(t("2026-01-01T00:30:00Z"), t("2026-01-01T02:10:00Z")),
            Some(t("2026-01-01T02:00:00Z"))
        );
        assert_eq!(
            hourly.latest(t("2026-01-01T02:00:00Z"), t("2026-01-01T02:10:00Z")),
            None
        );
        // Day of month OR day of week when both are restricted.
        let either = Schedule::parse("0 0 1 * sun").unwrap();
        assert!(either.matches(t("2026-11-22T00:00:00Z")));
        assert!(either.matches(t("2026-12-01T00:00:00Z")));
        assert!(Schedule::parse("* * *").is_err());
        assert!(Schedule::parse("61 * * * *").is_err());
        assert!(Schedule::parse("*/0 * * * *").is_err());
    }
}
