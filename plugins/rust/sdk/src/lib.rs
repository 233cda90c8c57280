//! Write a Stepyard task plugin in Rust.
//!
//! ```ignore
//! use stepyard_plugin_sdk::{Context, Plugin, TaskError, export_plugin, kv};
//! struct Echo;
//! impl Plugin for Echo {
//!     fn handle(input: serde_json::Value, _ctx: &Context) -> Result<serde_json::Value, TaskError> {
//!         Ok(input)
//!     }
//! }
//! export_plugin!(Echo);
//! ```
//! Build with `cargo build --release --target wasm32-wasip2`; the output is
//! already a component.

pub mod bindings {
    wit_bindgen::generate!({
        path: "../../../wit",
        world: "task-plugin",
        pub_export_macro: true,
        export_macro_name: "export_task_plugin",
    });
}

use serde_json::Value;

pub use bindings::stepyard::plugin::kv::KvError;
pub use bindings::stepyard::plugin::types::TaskContext as Context;
pub use bindings::TaskError;

/// A plugin: JSON in, JSON out, or a named error.
pub trait Plugin {
    fn handle(input: Value, ctx: &Context) -> Result<Value, TaskError>;
}

/// Implements the exported world for a [`Plugin`] type.
#[macro_export]
macro_rules! export_plugin {
    ($ty:ident) => {
        struct __StepyardExport;
        impl $crate::bindings::Guest for __StepyardExport {
            fn handle(input: String, context: $crate::Context) -> Result<String, $crate::TaskError> {
                $crate::run::<$ty>(&input, &context)
            }
        }
        $crate::bindings::export_task_plugin!(__StepyardExport with_types_in $crate::bindings);
    };
}

/// Parses the input, calls the plugin, serialises its output.
#[doc(hidden)]
pub fn run<P: Plugin>(input: &str, ctx: &Context) -> Result<String, TaskError> {
    let value: Value = serde_json::from_str(input).map_err(|e| error("InvalidInput", format!("input is not JSON: {e}")))?;
    let out = P::handle(value, ctx)?;
    Ok(out.to_string())
}

/// A named error for `Retry`/`Catch`.
pub fn error(name: impl Into<String>, cause: impl Into<String>) -> TaskError {
    TaskError { error: name.into(), cause: cause.into() }
}

/// Key-value tables with JSON values.
pub mod kv {
    use super::bindings::stepyard::plugin::kv as raw;
    use super::*;

    /// An item: its document and version.
    pub struct Item {
        pub value: Value,
        pub version: u64,
    }

    pub fn get(table: &str, key: &str) -> Result<Option<Item>, TaskError> {
        match raw::get(table, key).map_err(kv_error)? {
            None => Ok(None),
            Some(i) => Ok(Some(Item { value: serde_json::from_str(&i.value).unwrap_or(Value::Null), version: i.version })),
        }
    }

    pub fn put(table: &str, key: &str, value: &Value) -> Result<u64, TaskError> {
        raw::put(table, key, &value.to_string()).map_err(kv_error)
    }

    /// Writes only when the key is new; `Ok(None)` when it already exists.
    pub fn put_if_absent(table: &str, key: &str, value: &Value) -> Result<Option<u64>, TaskError> {
        match raw::put_if_absent(table, key, &value.to_string()) {
            Ok(v) => Ok(Some(v)),
            Err(KvError::ConditionFailed(_)) => Ok(None),
            Err(e) => Err(kv_error(e)),
        }
    }

    pub fn update(table: &str, key: &str, changes: &Value) -> Result<Item, TaskError> {
        let i = raw::update(table, key, &changes.to_string()).map_err(kv_error)?;
        Ok(Item { value: serde_json::from_str(&i.value).unwrap_or(Value::Null), version: i.version })
    }

    pub fn delete(table: &str, key: &str) -> Result<bool, TaskError> {
        raw::delete(table, key).map_err(kv_error)
    }

    /// A kv error as a task error, with DynamoDB's exception names.
    pub fn kv_error(e: KvError) -> TaskError {
        match e {
            KvError::AccessDenied(m) => error("AccessDeniedException", m),
            KvError::ConditionFailed(m) => error("ConditionalCheckFailedException", m),
            KvError::Invalid(m) => error("ValidationException", m),
            KvError::Internal(m) => error("InternalServerError", m),
        }
    }
}

/// Structured logging.
pub mod log {
    use super::bindings::stepyard::plugin::log::{self as raw, Level};

    pub fn info(message: &str, fields: &[(&str, &str)]) {
        write(Level::Info, message, fields);
    }
    pub fn warn(message: &str, fields: &[(&str, &str)]) {
        write(Level::Warn, message, fields);
    }
    pub fn error(message: &str, fields: &[(&str, &str)]) {
        write(Level::Error, message, fields);
    }
    fn write(level: Level, message: &str, fields: &[(&str, &str)]) {
        let fields: Vec<(String, String)> = fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        raw::log(level, message, &fields);
    }
}

/// Asks the role before trying.
pub fn allowed(action: &str, resource: &str) -> bool {
    bindings::stepyard::plugin::permissions::allowed(action, resource)
}

/// A string field of the input, or a named error.
pub fn field<'a>(input: &'a Value, name: &str) -> Result<&'a str, TaskError> {
    input
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| error("InvalidInput", format!("the input needs a string field '{name}'")))
}

/// A short id derived from `s` (FNV-1a): the same input gives the same id,
/// so ids made from the idempotency key survive retries.
pub fn stable_id(s: &str) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in s.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100000001b3);
    }
    format!("{h:016x}")
}
