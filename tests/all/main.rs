//! Integration tests: the interpreter through its public API, and the CLI.

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
mod plugin_slots;
mod plugins;
mod recovery;
mod serve;
mod support;
mod terminal;
mod time;
mod validation;
mod variables;
