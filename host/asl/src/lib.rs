//! The Amazon States Language: what a definition says, checked.
//!
//! [`definition::StateMachine::parse`] turns ASL text into a validated,
//! typed model, or every problem with its location; the query languages a
//! definition's fields are written in are compiled once, here:
//! [`jsonpath`] (the Jayway dialect AWS uses), [`intrinsics`] (`States.*`
//! functions), [`payload`] templates (`Parameters`, `ResultSelector`,
//! `Assign`…) and [`jsonata_template`] (`{% … %}` over `stepyard-jsonata`).
//!
//! Must not depend on: anything that runs an execution (the interpreter,
//! tokio), stores it, serves it or calls a plugin. No I/O.

pub mod definition;
pub mod ids;
pub mod intrinsics;
pub mod jsonata_template;
pub mod jsonpath;
pub mod payload;
pub mod timestamp;
