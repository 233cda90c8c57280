//! The plugin folder described as JSON: what `stepyard plugins --json`
//! prints and the console's Plugins page shows.

use serde_json::{Value, json};

use super::{Entry, PluginHost};
use crate::manifest::Manifest;

impl PluginHost {
    /// Every plugin of the folder, with its files, functions, limits, WASI
    /// grants, role and whether it is compiled yet (`state`: `loaded`, or
    /// `not loaded yet`: a server compiles a plugin on its first call), and
    /// the plugins that failed to load, with why: `{"plugins": [...],
    /// "problems": [...]}`.
    pub fn describe(&self) -> Value {
        let plugins: Vec<Value> = self.entries.iter().filter_map(|e| describe_entry(e)).collect();
        let problems: Vec<Value> = self
            .problems()
            .iter()
            .map(|p| json!({"name": p.name, "path": p.path.display().to_string(), "reason": p.reason}))
            .collect();
        json!({"plugins": plugins, "problems": problems})
    }
}

fn describe_entry(entry: &Entry) -> Option<Value> {
    let manifest: &Manifest = entry.manifest.as_ref().ok()?;
    let (state, compiled) = match entry.loaded.get() {
        Some(Ok(plugin)) => ("loaded", Some(format!("{:?}", plugin.info.cache).to_lowercase())),
        Some(Err(_)) => return None,
        None => ("not loaded yet", None),
    };
    let limits = &manifest.limits;
    let mut out = json!({
        "name": entry.name,
        "path": entry.wasm_path.display().to_string(),
        "manifest": entry.manifest_path.as_ref().map(|m| m.display().to_string()),
        "functions": manifest.functions,
        "limits": {
            "memory_mb": limits.memory_bytes >> 20,
            "timeout_ms": limits.timeout_ms,
            "max_output_kb": limits.max_output_bytes >> 10,
            "cpu_ms": limits.cpu_ms,
        },
        "quotas": {
            "log_lines_per_call": manifest.quotas.log_lines_per_call,
            "log_kb_per_call": manifest.quotas.log_bytes_per_call >> 10,
            "table_writes_per_call": manifest.quotas.table_writes_per_call,
            "table_write_kb_per_call": manifest.quotas.table_write_bytes_per_call >> 10,
        },
        "wasi": {
            "env": manifest.wasi.env.keys().collect::<Vec<_>>(),
            "preopens": manifest.wasi.preopens.iter().map(|d| json!({
                "host": d.host.display().to_string(),
                "guest": d.guest,
                "read_only": d.read_only,
            })).collect::<Vec<_>>(),
            "clocks": manifest.wasi.clocks,
        },
        "role": manifest.role_document,
        "state": state,
    });
    if let Some(compiled) = compiled {
        out["compiled"] = compiled.into();
    }
    Some(out)
}
