//! Stepyard: Amazon States Language state machines on one machine.
//!
//! The library is layered; dependencies point one way, top to bottom:
//! - [`definition`]: the typed, validated model of an ASL document.
//! - [`jsonpath`], [`intrinsics`], [`payload`]: the JSONPath query language.
//! - [`jsonata_template`]: `{% … %}` templates over the `stepyard_jsonata` engine.
//! - [`interpreter`]: runs a validated definition, talking to the outside
//!   world only through traits ([`task`], [`clock`], [`history`]).

pub mod api;
pub mod clock;
pub mod definition;
pub mod history;
pub mod ids;
pub mod interpreter;
pub mod intrinsics;
pub mod jsonata_template;
pub mod jsonpath;
pub mod payload;
pub mod policy;
pub mod process;
pub mod runtime;
pub mod service;
pub mod store;
pub mod task;
pub mod timestamp;
mod wildcard;
