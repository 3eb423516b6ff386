//! The process-wide Prometheus recorder folds histogram samples on its own
//! (a service nobody scrapes must not keep every sample it ever recorded).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

/// Names of this process's threads (Linux `/proc`).
fn thread_names() -> Vec<String> {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("comm")).ok())
        .map(|n| n.trim().to_owned())
        .collect()
}

#[test]
fn installing_the_recorder_starts_its_upkeep_thread_once() {
    assert!(!thread_names()
        .iter()
        .any(|n| n == shared::metrics::UPKEEP_THREAD));
    let handle = shared::metrics::install("upkeep-test");
    let again = shared::metrics::install("upkeep-test");
    // A new thread takes its name from inside itself: wait for it.
    let upkeep = || {
        thread_names()
            .into_iter()
            .filter(|n| n == shared::metrics::UPKEEP_THREAD)
            .count()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while upkeep() == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(upkeep(), 1, "one upkeep thread: {:?}", thread_names());
    // Samples recorded and never scraped are still rendered correctly.
    for _ in 0..10_000 {
        metrics::histogram!("upkeep_test_seconds").record(0.002);
    }
    handle.run_upkeep();
    let text = again.render();
    assert!(
        text.contains("upkeep_test_seconds_count{service=\"upkeep-test\"} 10000"),
        "{text}"
    );
}
