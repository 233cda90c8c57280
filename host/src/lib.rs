//! Stepyard: Amazon States Language state machines on one machine.
//!
//! The library is layered; dependencies point one way, top to bottom:
//! - [`definition`]: the typed, validated model of an ASL document.
//! - [`jsonpath`], [`intrinsics`], [`payload`]: the JSONPath query language.
//! - `stepyard_jsonata`: the JSONata query language (its own crate).
//! - [`interpreter`]: runs a validated definition, talking to the outside
//!   world only through traits ([`task`], [`clock`], [`history`]).

pub mod intrinsics;
pub mod jsonpath;
pub mod payload;
