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
//!
//! A plugin that reads a few fields of a large input can declare them
//! instead ([`TypedPlugin`], [`export_typed_plugin!`]): serde then skips the
//! rest of the input without building it, as a Lambda handler in Rust
//! takes a typed event.

pub mod bindings {
    wit_bindgen::generate!({
        path: "../../../wit",
        world: "task-plugin",
        pub_export_macro: true,
        export_macro_name: "export_task_plugin",
    });
}

use serde::Serialize;
use serde::de::DeserializeOwned;
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
        $crate::export_typed_plugin!($ty);
    };
}

/// A [`Plugin`] is the [`TypedPlugin`] that reads and returns whole JSON
/// documents.
impl<P: Plugin> TypedPlugin for P {
    type Input = Value;
    type Output = Value;
    fn handle(input: Value, ctx: &Context) -> Result<Value, TaskError> {
        <P as Plugin>::handle(input, ctx)
    }
}

/// A plugin with typed input and output: only the fields `Input` declares
/// are read (unknown fields are skipped, not built into a tree), so its
/// cost does not grow with everything earlier states added to the input.
pub trait TypedPlugin {
    /// What the plugin reads of its input.
    type Input: DeserializeOwned;
    /// What it returns (serialised to JSON).
    type Output: Serialize;
    fn handle(input: Self::Input, ctx: &Context) -> Result<Self::Output, TaskError>;
}

/// Implements the exported world for a [`TypedPlugin`] type.
#[macro_export]
macro_rules! export_typed_plugin {
    ($ty:ident) => {
        struct __StepyardExport;
        impl $crate::bindings::Guest for __StepyardExport {
            fn handle(input: String, context: $crate::Context) -> Result<String, $crate::TaskError> {
                $crate::run_typed::<$ty>(&input, &context)
            }
        }
        $crate::bindings::export_task_plugin!(__StepyardExport with_types_in $crate::bindings);
    };
}

/// Reads the declared input, calls the plugin, serialises its output. An
/// input that is not JSON, or does not fit, fails as `InvalidInput`.
#[doc(hidden)]
pub fn run_typed<P: TypedPlugin>(input: &str, ctx: &Context) -> Result<String, TaskError> {
    let value: P::Input =
        serde_json::from_str(input).map_err(|e| error("InvalidInput", format!("the input is not JSON that fits: {e}")))?;
    let out = P::handle(value, ctx)?;
    serde_json::to_string(&out).map_err(|e| error("InvalidOutput", format!("the output cannot be serialised: {e}")))
}

/// A named error for `Retry`/`Catch`.
pub fn error(name: impl Into<String>, cause: impl Into<String>) -> TaskError {
    TaskError { error: name.into(), cause: cause.into() }
}

/// Key-value tables with JSON values.
pub mod kv {
    use super::bindings::stepyard::plugin::kv as raw;
    use super::*;

    /// An item: its document (the whole of it, or the fields `T` declares)
    /// and version.
    pub struct Item<T = Value> {
        pub value: T,
        pub version: u64,
    }

    pub fn get(table: &str, key: &str) -> Result<Option<Item>, TaskError> {
        get_as(table, key)
    }

    /// Reads an item as `T`: only the fields `T` declares are read
    /// (`serde::de::IgnoredAny` reads none).
    pub fn get_as<T: DeserializeOwned>(table: &str, key: &str) -> Result<Option<Item<T>>, TaskError> {
        raw::get(table, key).map_err(kv_error)?.map(|i| typed(table, key, i)).transpose()
    }

    pub fn put(table: &str, key: &str, value: &impl Serialize) -> Result<u64, TaskError> {
        raw::put(table, key, &to_text(value)?).map_err(kv_error)
    }

    /// Writes only when the key is new; `Ok(None)` when it already exists.
    pub fn put_if_absent(table: &str, key: &str, value: &impl Serialize) -> Result<Option<u64>, TaskError> {
        match raw::put_if_absent(table, key, &to_text(value)?) {
            Ok(v) => Ok(Some(v)),
            Err(KvError::ConditionFailed(_)) => Ok(None),
            Err(e) => Err(kv_error(e)),
        }
    }

    /// Merges `changes` into the item; returns it as it is now.
    pub fn update(table: &str, key: &str, changes: &impl Serialize) -> Result<Item, TaskError> {
        update_as(table, key, changes)
    }

    /// [`update`], reading the item it returns as `T`.
    pub fn update_as<T: DeserializeOwned>(table: &str, key: &str, changes: &impl Serialize) -> Result<Item<T>, TaskError> {
        let i = raw::update(table, key, &to_text(changes)?).map_err(kv_error)?;
        typed(table, key, i)
    }

    fn typed<T: DeserializeOwned>(table: &str, key: &str, i: raw::Item) -> Result<Item<T>, TaskError> {
        let value = serde_json::from_str(&i.value)
            .map_err(|e| error("InvalidItem", format!("item '{key}' of table '{table}' does not fit: {e}")))?;
        Ok(Item { value, version: i.version })
    }

    fn to_text(value: &impl Serialize) -> Result<String, TaskError> {
        serde_json::to_string(value).map_err(|e| error("ValidationException", format!("the item cannot be serialised: {e}")))
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
