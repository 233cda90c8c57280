//! Payload templates (in progress).
