//! Assessment runs as durable jobs in Postgres.
//!
//! Every replica runs `QRAP_WORKERS` workers. A worker leases the oldest
//! runnable assessment (`pending`, or `running` with an expired lease) with
//! `FOR UPDATE SKIP LOCKED`, so two workers never take the same one, and
//! renews the lease with a heartbeat that also records progress. A run
//! interrupted by a crash, a SIGKILL or a lost database connection is taken
//! over by any worker once the lease has expired; after `QRAP_MAX_ATTEMPTS`
//! leases it fails with the reason. On SIGTERM workers stop leasing and hand
//! their unfinished runs back (`pending`, the attempt not counted).
//!
//! Findings and the final status are written in one transaction, and only
//! while the lease is still ours, so a run that lost its lease writes
//! nothing; an ML or parsing failure writes only `failed` with its reason.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::domain::inputs::Defaults;
use crate::domain::inventory::{from_inventory, AssetRecord, InventoryAsset};
use crate::domain::{cbom, summary};
use crate::repo::jobs::{self, Job};
use crate::repo::{audit, Actor};
use crate::state::AppState;

/// Worker pool settings.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Workers in this replica (0: this replica only serves the API).
    pub workers: usize,
    /// Lease length; the heartbeat renews it well before it ends.
    pub lease: Duration,
    /// Leases an assessment may take before it fails.
    pub max_attempts: i32,
    /// How often an idle worker looks for work (new work in this replica
    /// wakes it at once).
    pub poll: Duration,
}

/// Parses a stored source document back into assets.
pub fn assets_of(format: &str, doc: &Value) -> Result<Vec<AssetRecord>, String> {
    match format {
        // A runtime CBOM pulled from a QSGW control plane is a CBOM.
        "cyclonedx" | crate::qsgw::SOURCE_FORMAT => {
            cbom::parse(doc).map(|c| c.assets).map_err(|p| p.detail)
        }
        _ => {
            let items: Vec<InventoryAsset> = doc
                .get("inventory")
                .cloned()
                .map(serde_json::from_value)
                .transpose()
                .map_err(|e| format!("stored inventory is unreadable: {e}"))?
                .unwrap_or_default();
            from_inventory(&items).map_err(|p| p.detail)
        }
    }
}

/// Wakes an idle worker of this replica (after a create or a re-run); the
/// other replicas find the work at their next poll.
pub fn wake(state: &AppState) {
    state.wake.notify_one();
}

/// This process's name in `lease_owner`: host, pid and start time, unique
/// across restarts.
fn owner_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "risk-api".into());
    let start = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let name = format!("{host}/{}/{start:x}", std::process::id());
    name.chars().take(200).collect()
}

/// The running pool; [`Pool::join`] waits until every worker has stopped
/// (after the shutdown token fired) and handed its run back.
#[derive(Debug)]
pub struct Pool {
    tasks: JoinSet<()>,
}

impl Pool {
    /// Starts `settings.workers` workers that stop when `stop` fires.
    pub fn start(state: AppState, settings: WorkerSettings, stop: CancellationToken) -> Self {
        let mut tasks = JoinSet::new();
        let owner: Arc<str> = owner_name().into();
        for n in 0..settings.workers {
            let (state, settings, stop) = (state.clone(), settings.clone(), stop.clone());
            let owner: Arc<str> = format!("{owner}#{n}").into();
            tasks.spawn(async move { worker(state, settings, owner, stop).await });
        }
        Self { tasks }
    }

    /// Waits for every worker to finish.
    pub async fn join(mut self) {
        while self.tasks.join_next().await.is_some() {}
    }
}

async fn worker(state: AppState, s: WorkerSettings, owner: Arc<str>, stop: CancellationToken) {
    while !stop.is_cancelled() {
        match claim(&state, &s, &owner).await {
            Ok(Some(job)) => {
                if let Err(e) = run_leased(&state, &s, &owner, &job, &stop).await {
                    tracing::error!(assessment = %job.id, error = %e, "assessment run failed on the database");
                    // Left running with its lease: another attempt follows
                    // once the lease expires.
                }
            }
            Ok(None) => {
                tokio::select! {
                    () = state.wake.notified() => {}
                    () = tokio::time::sleep(s.poll) => {}
                    () = stop.cancelled() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot lease assessments; retrying");
                tokio::select! {
                    () = tokio::time::sleep(s.poll) => {}
                    () = stop.cancelled() => {}
                }
            }
        }
    }
}

/// Leases the oldest runnable assessment, or fails it when it has used up
/// its attempts. `None` when there is nothing to do.
#[tracing::instrument(skip_all, err(level = "debug"), fields(worker = owner))]
async fn claim(
    state: &AppState,
    s: &WorkerSettings,
    owner: &str,
) -> Result<Option<Job>, sqlx::Error> {
    let mut tx = state.pool.begin().await?;
    let Some(job) = jobs::lease_next(&mut tx, owner, s.lease.as_secs_f64()).await? else {
        return Ok(None);
    };
    if job.run_attempts > s.max_attempts {
        let reason = format!(
            "the run was interrupted {} times (process killed or restarted while scoring); re-run the assessment",
            job.run_attempts - 1
        );
        jobs::fail_exhausted(&mut tx, &job.id, &reason).await?;
        audit::append(
            &mut tx,
            &Actor::system(),
            Some(&job.organization_id),
            "assessment.fail",
            "assessment",
            &job.id,
            json!({"reason": reason}),
        )
        .await?;
        tx.commit().await?;
        tracing::warn!(assessment = %job.id, organization = %job.organization_id, reason = %reason, "assessment run failed");
        // Look again at once: there may be other work.
        return Box::pin(claim(state, s, owner)).await;
    }
    let action = if job.was == "running" {
        "assessment.resume"
    } else {
        "assessment.start"
    };
    audit::append(
        &mut tx,
        &Actor::system(),
        Some(&job.organization_id),
        action,
        "assessment",
        &job.id,
        json!({"attempt": job.attempts, "worker": owner}),
    )
    .await?;
    tx.commit().await?;
    Ok(Some(job))
}

/// Runs a leased job with its heartbeat; hands it back on shutdown, stops
/// when the lease is lost.
async fn run_leased(
    state: &AppState,
    s: &WorkerSettings,
    owner: &str,
    job: &Job,
    stop: &CancellationToken,
) -> Result<(), sqlx::Error> {
    let progress = AtomicUsize::new(0);
    let beat = heartbeat(state, s, owner, &job.id, &progress);
    let work = run(state, owner, job, &progress);
    tokio::pin!(work);
    tokio::select! {
        r = &mut work => r,
        () = beat => {
            tracing::warn!(assessment = %job.id, "lease lost; leaving the run to its new owner");
            Ok(())
        }
        () = stop.cancelled() => hand_back(state, owner, &job.id).await,
    }
}

/// Renews the lease and records progress every third of the lease (at
/// most every second); returns only when the lease is no longer ours.
async fn heartbeat(
    state: &AppState,
    s: &WorkerSettings,
    owner: &str,
    id: &str,
    progress: &AtomicUsize,
) {
    let every = (s.lease / 3).min(Duration::from_secs(1));
    loop {
        tokio::time::sleep(every).await;
        let done = i32::try_from(progress.load(Ordering::Relaxed)).unwrap_or(i32::MAX);
        match jobs::renew(&state.pool, id, owner, s.lease.as_secs_f64(), done).await {
            Ok(false) => return,
            Ok(true) => {}
            // A database hiccup: try again; the lease may run out meanwhile,
            // and then the completion check refuses our results.
            Err(e) => tracing::warn!(assessment = %id, error = %e, "lease renewal failed"),
        }
    }
}

/// Gives an unfinished run back on shutdown: `pending` again, this attempt
/// not counted.
#[tracing::instrument(skip_all, err(level = "debug"), fields(assessment = id, worker = owner))]
async fn hand_back(state: &AppState, owner: &str, id: &str) -> Result<(), sqlx::Error> {
    jobs::hand_back(&state.pool, id, owner).await?;
    tracing::info!(assessment = %id, "shutting down: run handed back");
    Ok(())
}

/// Scores one leased assessment to completion or failure.
#[tracing::instrument(skip_all, err(level = "debug"), fields(assessment = %job.id, org = %job.organization_id, attempt = job.attempts))]
async fn run(
    state: &AppState,
    owner: &str,
    job: &Job,
    progress: &AtomicUsize,
) -> Result<(), sqlx::Error> {
    let row = jobs::source(&state.pool, &job.id).await?;
    let (doc, defaults) = row.unwrap_or((None, Value::Null));
    let doc = doc.unwrap_or(Value::Null);
    // Validated at upload; unreadable only if edited by hand in the database.
    let defaults: Defaults = match serde_json::from_value(defaults) {
        Ok(d) => d,
        Err(e) => {
            return fail(
                state,
                owner,
                &job.id,
                &format!("stored defaults are unreadable: {e}"),
            )
            .await
        }
    };
    let assets = match assets_of(&job.source_format, &doc) {
        Ok(a) => a,
        Err(reason) => return fail(state, owner, &job.id, &reason).await,
    };
    drop(doc);
    let scores =
        match crate::ml::score(&state.http, &state.ml_url, &assets, &defaults, progress).await {
            Ok(s) => s,
            Err(reason) => return fail(state, owner, &job.id, &reason).await,
        };
    let count = assets.len();
    let findings = summary::findings(assets, scores.results);
    let sum = summary::summarise(&findings);

    let mut tx = state.pool.begin().await?;
    // Still ours? (Deleted, or taken over after our lease expired.)
    if !jobs::lock_if_ours(&mut tx, &job.id, owner).await? {
        return Ok(());
    }
    crate::repo::findings::delete_for_assessment(&mut tx, &job.id).await?;
    crate::repo::findings::insert(&mut tx, &job.id, &job.organization_id, &findings).await?;
    jobs::complete(
        &mut tx,
        &job.id,
        count,
        &sum,
        scores.crqc_timelines_version.as_deref(),
    )
    .await?;
    audit::append(
        &mut tx,
        &Actor::system(),
        Some(&job.organization_id),
        "assessment.complete",
        "assessment",
        &job.id,
        json!({"findings": count, "overall_risk_score": sum.overall_risk_score, "attempt": job.attempts}),
    )
    .await?;
    tx.commit().await
}

/// Marks the assessment failed (and audits it) in one transaction, if the
/// lease is still ours.
#[tracing::instrument(skip_all, err(level = "debug"), fields(assessment = id))]
async fn fail(state: &AppState, owner: &str, id: &str, reason: &str) -> Result<(), sqlx::Error> {
    let mut tx = state.pool.begin().await?;
    let org = jobs::fail(&mut tx, id, owner, reason).await?;
    if let Some(org) = &org {
        audit::append(
            &mut tx,
            &Actor::system(),
            Some(org),
            "assessment.fail",
            "assessment",
            id,
            json!({"reason": reason}),
        )
        .await?;
    }
    tx.commit().await?;
    if let Some(org) = org {
        // Operators see why a run failed in the logs, not only through
        // the API.
        tracing::warn!(assessment = %id, organization = %org, reason = %reason, "assessment run failed");
    }
    Ok(())
}
