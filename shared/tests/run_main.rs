//! `run_main` after a failed start: the error is the last word. The tasks
//! the start had spawned are left alone, not cancelled in arbitrary order
//! by a runtime drop; that drop is what made a task inside etcd-client's
//! `Client::connect` panic (an unwrapped send to the channel worker that
//! was dropped first) after every failed gateway start in compose.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use shared::config::LogLevel;
use shared::server::{run_main, MainOptions};

/// Sets its flag when dropped, i.e. when the task holding it is cancelled.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[test]
fn a_failed_start_leaves_its_spawned_tasks_alone() {
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = dropped.clone();
    let opts = MainOptions {
        name: "run-main-test",
        log_level: LogLevel::Error,
        workers: Some(2),
        blocking: None,
    };
    let code = run_main(opts, move |_shutdown| async move {
        // Like the gateway's etcd watcher: spawned, still busy when the
        // start fails a moment later.
        let (started, running) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            let _guard = DropFlag(flag);
            let _ = started.send(());
            tokio::time::sleep(Duration::from_secs(3600)).await;
        });
        running.await.unwrap();
        Err::<std::future::Ready<std::io::Result<()>>, _>(anyhow::anyhow!("no TLS certificate"))
    });
    assert_eq!(code, std::process::ExitCode::FAILURE);
    assert!(
        !dropped.load(Ordering::SeqCst),
        "the failed start's runtime was torn down, cancelling its tasks"
    );
}
