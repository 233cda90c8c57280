//! Which path a plugin call takes, by the runtime that polls it.

use super::clock_is_paused;

#[test]
fn only_a_paused_current_thread_runtime_counts_as_virtual_time() {
    assert!(!clock_is_paused(), "outside any runtime");
    let paused = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    assert!(paused.block_on(async { clock_is_paused() }));
    // Still paused after the clock jumped to a timer.
    assert!(paused.block_on(async {
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        clock_is_paused()
    }));
    let real = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    assert!(!real.block_on(async { clock_is_paused() }));
    // Resumed time is real time again.
    assert!(!paused.block_on(async {
        tokio::time::resume();
        clock_is_paused()
    }));
    let multi = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_time()
        .build()
        .unwrap();
    assert!(!multi.block_on(async { clock_is_paused() }));
}
