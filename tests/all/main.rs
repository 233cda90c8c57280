//! Integration tests: the interpreter through its public API, and the CLI.

mod alerts;
mod audit;
mod cli;
mod clients;
mod console;
mod data_flow;
mod errors;
mod fuzz;
mod history;
mod jsonata;
mod layers;
mod logging;
mod map_parallel;
mod metrics;
mod plugin_slots;
mod plugins;
mod recovery;
mod retention;
mod runs_at_once;
mod serve;
mod support;
mod terminal;
mod time;
mod usage;
mod validation;
mod variables;
