//! The end of every mutation, in one place. Every mutating handler (routes,
//! upstreams, users, gateway registration, threat triage, posture settings,
//! logout) opens a transaction and changes a row; what follows is the same
//! for all of them and its order matters, so it lives here once:
//!
//! 1. complete the `Idempotency-Key` of a create (so a retry replays this
//!    very response),
//! 2. bump the config revision (gateway configuration only),
//! 3. write the audit row — all three in the mutation's transaction, so
//!    they commit or roll back with it,
//! 4. commit,
//! 5. publish the changed resource to etcd — after commit, so etcd never
//!    shows a state Postgres does not hold,
//! 6. answer with the resource and its `ETag` (or 204 for a delete).
//!
//! Start with [`Mutation::new`], then end with [`Mutation::created`],
//! [`Mutation::replaced`] or [`Mutation::deleted`] — or, for a change that
//! is not a versioned resource (gateway registration, threat triage,
//! posture settings, logout), [`Mutation::committed`] (steps 3 and 4).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use shared::auth::Principal;
use sqlx::{Postgres, Transaction};

use crate::audit::{self, Entry};
use crate::http::conditional::{self, with_etag};
use crate::http::context::{Actor, Meta};
use crate::publish::Change;
use crate::repo;
use crate::state::AppState;
use shared::error::ApiError;

/// What remains to be done for a mutation whose row change is already in
/// `tx`: built by the handler, consumed by one of the finishing methods.
#[derive(Debug)]
#[must_use = "a mutation is only committed by created, replaced or deleted"]
pub struct Mutation<'a> {
    tx: Transaction<'static, Postgres>,
    state: &'a AppState,
    principal: &'a Principal,
    meta: &'a Meta,
    audit: Entry<'a>,
    change: Option<Change>,
    idempotency: Option<Idempotency<'a>>,
}

/// A claimed `Idempotency-Key` and the response body stored under it.
#[derive(Debug)]
struct Idempotency<'a> {
    key: &'a str,
    body: &'a Value,
    resource_id: &'a str,
}

impl<'a> Mutation<'a> {
    /// A mutation by `principal` described by the audit `entry`, whose row
    /// change is in `tx`.
    pub fn new(
        tx: Transaction<'static, Postgres>,
        state: &'a AppState,
        principal: &'a Principal,
        meta: &'a Meta,
        audit: Entry<'a>,
    ) -> Self {
        Self {
            tx,
            state,
            principal,
            meta,
            audit,
            change: None,
            idempotency: None,
        }
    }

    /// Marks the mutation as a gateway configuration change: the revision
    /// is bumped in the transaction and `change` published after commit.
    /// Users are not gateway configuration and never call this.
    pub fn publishes(mut self, change: Change) -> Self {
        self.change = Some(change);
        self
    }

    /// Stores `body` as the response to `key` (when the create carried an
    /// `Idempotency-Key`, already claimed in the same transaction), so a
    /// retry with the same key replays it instead of creating again.
    pub fn completes(
        mut self,
        key: Option<&'a str>,
        body: &'a Value,
        resource_id: &'a str,
    ) -> Self {
        self.idempotency = key.map(|key| Idempotency {
            key,
            body,
            resource_id,
        });
        self
    }

    /// Finishes a create: 201 with `body` and the `ETag` of `version`.
    pub async fn created<T: Serialize>(self, version: i64, body: &T) -> Result<Response, ApiError> {
        self.finish_mutation(StatusCode::CREATED).await?;
        Ok(with_etag(StatusCode::CREATED, version, body))
    }

    /// Finishes an update: 200 with `body` and the `ETag` of `version`.
    pub async fn replaced<T: Serialize>(
        self,
        version: i64,
        body: &T,
    ) -> Result<Response, ApiError> {
        self.finish_mutation(StatusCode::OK).await?;
        Ok(with_etag(StatusCode::OK, version, body))
    }

    /// Finishes a delete: 204, no body.
    pub async fn deleted(self) -> Result<Response, ApiError> {
        self.finish_mutation(StatusCode::NO_CONTENT).await?;
        Ok(StatusCode::NO_CONTENT.into_response())
    }

    /// Finishes a change whose answer is not a versioned resource (a
    /// gateway registration, a threat triage step, the posture settings, a
    /// logout): audit and commit like every mutation, and the handler
    /// answers as it always did (no `ETag`).
    pub async fn committed(self) -> Result<(), ApiError> {
        self.finish_mutation(StatusCode::OK).await
    }

    /// Steps 1 to 5 of the module header, in that order; `status` is the
    /// status the stored idempotent response replays with.
    #[tracing::instrument(skip_all, fields(action = self.audit.action, resource_id = self.audit.resource_id, status = status.as_u16()))]
    async fn finish_mutation(self, status: StatusCode) -> Result<(), ApiError> {
        let Self {
            mut tx,
            state,
            principal,
            meta,
            audit,
            change,
            idempotency,
        } = self;
        if let Some(i) = idempotency {
            conditional::complete(
                &mut tx,
                &principal.subject,
                i.key,
                status,
                i.body,
                i.resource_id,
            )
            .await?;
        }
        if change.is_some() {
            repo::config::bump_revision(&mut tx).await?;
        }
        audit::record(&mut tx, &Actor::from_principal(principal), meta, audit).await?;
        tx.commit().await?;
        if let Some(change) = change {
            state.publisher.publish(&[change]).await;
        }
        Ok(())
    }
}
