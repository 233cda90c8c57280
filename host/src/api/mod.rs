//! The HTTP API of `stepyard serve` (AWS's JSON 1.0 protocol for Step Functions).
pub mod auth;
