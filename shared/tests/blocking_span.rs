//! Work sent to the blocking pool keeps the caller's span (its own process:
//! the test installs a global subscriber, which the blocking threads see).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use tracing_subscriber::Registry;

#[tokio::test]
async fn blocking_work_runs_inside_the_callers_span_and_plain_spawn_blocking_does_not() {
    tracing::subscriber::set_global_default(Registry::default()).unwrap();
    let span = tracing::info_span!("request", request_id = "req_test");
    let want = span.id().expect("a registry assigns span ids");
    let _entered = span.enter();
    let inside = shared::telemetry::spawn_blocking_in_span(|| tracing::Span::current().id())
        .await
        .unwrap();
    assert_eq!(inside, Some(want.clone()));
    // The reason for the helper: tokio's own spawn_blocking starts outside
    // every span.
    let plain = tokio::task::spawn_blocking(|| tracing::Span::current().id())
        .await
        .unwrap();
    assert_ne!(plain, Some(want));
}
