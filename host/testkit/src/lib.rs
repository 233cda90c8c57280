//! `stepyard test`: whole executions under test.
//!
//! A suite file (`*.test.yaml` or `*.test.json`, [`suite`]) names a state
//! machine and its cases: an input, mocks for some Task states
//! ([`mocks`]), and what must come out ([`expect`]). Each case runs as one
//! execution on a runtime of its own whose clock is virtual, starting at the
//! case's fixed start time, so waits, retry back-offs and timeouts take no
//! real time and the run repeats exactly. What the run did ([`trace`]) is
//! checked against the expectations, counted towards edge coverage
//! ([`coverage`]) and, when the case asks, compared with a history snapshot
//! ([`snapshot`]). Step Functions Local's MockConfigFile is read by
//! [`mock_config`].
//!
//! Must not depend on: the store, the plugin runtime, the service or the
//! API. Real plugins reach a case only as the [`TaskInvoker`] the caller
//! hands in.
//!
//! [`TaskInvoker`]: stepyard_interpreter::task::TaskInvoker

pub mod coverage;
pub mod expect;
pub mod locate;
pub mod mock_config;
pub mod mocks;
pub mod report;
pub mod run;
pub mod shrink;
pub mod snapshot;
pub mod suggest;
pub mod suite;
pub mod trace;
pub mod world;

mod matching;

pub use run::{CaseResult, Runner, SuiteResult};
pub use suite::{Case, Suite, SuiteError};
