//! Handlers and repository functions run in spans named after them that
//! carry identifying fields and never a secret (issue 20 item 3): an
//! operator reading the logs of a failed login or a rejected write sees
//! which handler and which statement, and no password or token.
//!
//! One test in its own binary: it installs a global subscriber (the server
//! runs on the runtime's worker threads, which a thread-local default would
//! not reach).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{Arc, Mutex};

use common::{route_body, ADMIN_EMAIL, ADMIN_PASSWORD};
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

/// Every span opened (`module::name` and fields as text) and every
/// event's fields.
#[derive(Clone, Default)]
struct Recorder {
    spans: Arc<Mutex<Vec<(String, String)>>>,
    text: Arc<Mutex<String>>,
}

struct Text<'a>(&'a mut String);

impl Visit for Text<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!("{}={:?} ", field.name(), value));
    }
}

impl<S: Subscriber> Layer<S> for Recorder {
    fn on_new_span(&self, attrs: &Attributes<'_>, _: &Id, _: Context<'_, S>) {
        let mut fields = String::new();
        attrs.record(&mut Text(&mut fields));
        self.text.lock().unwrap().push_str(&fields);
        self.spans.lock().unwrap().push((
            format!("{}::{}", attrs.metadata().target(), attrs.metadata().name()),
            fields,
        ));
    }

    fn on_record(&self, _: &Id, values: &Record<'_>, _: Context<'_, S>) {
        values.record(&mut Text(&mut self.text.lock().unwrap()));
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        event.record(&mut Text(&mut self.text.lock().unwrap()));
    }
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn handler_and_repository_spans_name_the_work_and_never_a_secret(pool: PgPool) {
    let rec = Recorder::default();
    tracing::subscriber::set_global_default(
        tracing_subscriber::registry().with(
            rec.clone()
                .with_filter(tracing_subscriber::filter::LevelFilter::DEBUG),
        ),
    )
    .expect("the only subscriber of this test binary");
    let app = common::spawn(pool).await;

    // A failed and a successful login, as an attacker and the admin would.
    let wrong = "not-the-password-4711";
    let r = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "email": ADMIN_EMAIL, "password": wrong }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let tokens: Value = r.json().await.unwrap();
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();

    // A write: an upstream and a route through the admin's token.
    let ups = app.create_upstream("spans").await;
    let r = app
        .call(
            Method::POST,
            "/api/v1/routes",
            Some(&access),
            Some(&route_body(ups["id"].as_str().unwrap(), "/spans")),
        )
        .await;
    assert_eq!(r.status(), 201);
    let route: Value = r.json().await.unwrap();
    app.stop().await;

    let spans = rec.spans.lock().unwrap().clone();
    let opened = |name: &str| spans.iter().filter(|(n, _)| n == name).collect::<Vec<_>>();
    // The handlers' spans, and the statements they ran in theirs.
    assert_eq!(
        opened("control_plane::routes::auth::login").len(),
        2,
        "{spans:?}"
    );
    assert_eq!(
        opened("control_plane::repo::users::credentials").len(),
        2,
        "{spans:?}"
    );
    let create = opened("control_plane::routes::routes::create_route");
    assert_eq!(create.len(), 1, "{spans:?}");
    assert!(
        create[0].1.contains("name=") && create[0].1.contains("actor="),
        "{create:?}"
    );
    assert!(
        spans
            .iter()
            .any(|(n, _)| n.starts_with("control_plane::repo::routes::")),
        "no span of the routes repository: {spans:?}"
    );
    assert!(route["id"].is_string());
    // Nothing recorded anywhere holds a password or a token.
    let text = rec.text.lock().unwrap().clone();
    for secret in [wrong, ADMIN_PASSWORD, access.as_str(), refresh.as_str()] {
        assert!(
            !text.contains(secret),
            "a secret reached the trace: {secret}"
        );
    }
}
