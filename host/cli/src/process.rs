//! Process-wide settings the `stepyard` binary (and the benches that stand
//! in for it) apply at start.

/// Turns transparent huge pages off for this process.
///
/// mimalloc asks the kernel for huge pages on its arenas (`madvise`), and
/// the first touch of a fresh 2 MiB page zeroes all of it at once, in the
/// faulting thread. When that thread is the database writer, every
/// execution waiting on its commit waits too: measured with the serve bench
/// (`cargo bench --bench serve`, alternating runs), the longest batch fell
/// from 26–32 ms to 6–8 ms, batches over 4 ms from 32–36 to 10, and p99
/// StartExecution from 14–15 ms to 10–11 ms, at the same throughput.
/// Best effort: a kernel without the setting leaves things as they were.
pub(crate) fn disable_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes plain integers and touches no
    // memory of ours; its only effect is a flag on this process.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// Lets a closed stdout end the process quietly, as it ends `cat` or `ls`.
///
/// Rust ignores SIGPIPE, so writing to a pipe whose reader has gone (`stepyard
/// logs | head -1`) fails and `println!` panics (exit 101). With the default
/// action restored the kernel ends the process at that write instead, and
/// the shell sees it as stopped by SIGPIPE, which pipelines expect.
pub(crate) fn restore_default_sigpipe() {
    #[cfg(unix)]
    // SAFETY: resetting a signal's disposition to its default touches no
    // memory of ours; no handler of this process is involved.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
