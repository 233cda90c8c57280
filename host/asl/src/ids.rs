//! Random identifiers: request ids, invocation ids, default execution
//! names, revision ids and `States.UUID`.

/// A random (version 4) UUID from the thread's CSPRNG.
///
/// `Uuid::new_v4` asks the kernel for its 16 bytes (one `getrandom` call
/// each); the thread-local generator is seeded from the kernel once and
/// makes them in user space. Every StartExecution and every Lambda task
/// takes one, and a system call is costly on a virtual machine.
pub fn random_uuid() -> uuid::Uuid {
    uuid::Builder::from_random_bytes(rand::random()).into_uuid()
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
}
