//! Random identifiers: request ids, invocation ids, default execution
//! names, revision ids and `States.UUID`.

/// A random (version 4) UUID from the thread's CSPRNG.
///
/// `Uuid::new_v4` asks the kernel for its 16 bytes (one `getrandom` call
/// each); the thread-local generator is seeded from the kernel once and
/// makes them in user space. Every StartExecution and every Lambda task
/// takes one, and a system call is costly on a virtual machine.
pub fn random_uuid() -> uuid::Uuid {
    let bytes = FIXED.with(|fixed| {
        let (seed, n) = fixed.get()?;
        fixed.set(Some((seed, n + 1)));
        let (a, b) = (
            splitmix(seed ^ n.wrapping_mul(2)),
            splitmix(seed ^ n.wrapping_mul(2).wrapping_add(1)),
        );
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&a.to_le_bytes());
        bytes[8..].copy_from_slice(&b.to_le_bytes());
        Some(bytes)
    });
    uuid::Builder::from_random_bytes(bytes.unwrap_or_else(rand::random)).into_uuid()
}

/// [`random_uuid`]'s UUID as text (for `$uuid()`).
pub fn random_uuid_text() -> String {
    random_uuid().to_string()
}

thread_local! {
    /// While [`with_fixed_ids`] runs on this thread: its seed, and how many
    /// ids it has given.
    static FIXED: std::cell::Cell<Option<(u64, u64)>> = const { std::cell::Cell::new(None) };
}

/// Runs `f` with the ids this thread makes (`States.UUID()`, `$uuid()`,
/// request ids) drawn from `seed` in order instead of at random, so a test
/// run on this thread repeats them exactly. They still look like version 4
/// UUIDs. The previous setting comes back afterwards.
pub fn with_fixed_ids<R>(seed: u64, f: impl FnOnce() -> R) -> R {
    let before = FIXED.with(|fixed| fixed.replace(Some((seed, 0))));
    struct Restore(Option<(u64, u64)>);
    impl Drop for Restore {
        fn drop(&mut self) {
            FIXED.with(|fixed| fixed.set(self.0));
        }
    }
    let _restore = Restore(before);
    f()
}

/// SplitMix64: a well-mixed 64-bit value from any input.
fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_version_4_and_differ() {
        let (a, b) = (random_uuid(), random_uuid());
        assert_eq!(a.get_version(), Some(uuid::Version::Random));
        assert_eq!(a.get_variant(), uuid::Variant::RFC4122);
        assert_ne!(a, b);
    }

    #[test]
    fn fixed_ids_repeat_for_a_seed_and_end_with_it() {
        let first: Vec<_> = with_fixed_ids(7, || (0..3).map(|_| random_uuid()).collect());
        let again: Vec<_> = with_fixed_ids(7, || (0..3).map(|_| random_uuid()).collect());
        let other: Vec<_> = with_fixed_ids(8, || (0..3).map(|_| random_uuid()).collect());
        assert_eq!(first, again);
        assert_ne!(first, other);
        assert_ne!(first[0], first[1]);
        assert_eq!(first[0].get_version(), Some(uuid::Version::Random));
        assert_ne!(random_uuid(), random_uuid(), "random again outside");
    }
}
