//! The `stepyard` command line.

mod cli;
mod process;

/// mimalloc instead of glibc's malloc: the server allocates many small,
/// short-lived buffers across threads (JSON, history events, plugin calls).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    process::disable_transparent_huge_pages();
    process::restore_default_sigpipe();
    cli::main()
}
