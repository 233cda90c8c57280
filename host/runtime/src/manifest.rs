//! A plugin's manifest (`NAME.toml` or `NAME.json` beside `NAME.wasm`): the
//! functions it serves, its role, its limits and its WASI grants.
//!
//! Grants are data, checked once when the plugin loads: an unknown field,
//! a malformed role or an impossible limit is an error naming the file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use stepyard_policy::Policy;

/// Defaults applied when a manifest does not say.
pub(crate) const DEFAULT_MEMORY_MB: u64 = 64;
pub(crate) const DEFAULT_TIMEOUT_SECONDS: u64 = 60;
pub(crate) const DEFAULT_MAX_OUTPUT_KB: u64 = 256;

/// The parsed, validated manifest.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// Function names the plugin serves (default: the file's stem).
    pub functions: Vec<String>,
    /// `[role]`: the IAM policy its table, log and other calls are checked against;
    /// without one the plugin may do nothing.
    pub role: Policy,
    /// The role as written, for `stepyard plugins`.
    pub role_document: Value,
    /// `[limits]`: memory, time and output size per call.
    pub limits: Limits,
    /// `[quotas]`: what one call may make the host store (logs, table writes).
    pub quotas: crate::quota::Quotas,
    /// `[wasi]`: the environment, directories and clocks it may see.
    pub wasi: WasiGrants,
    /// Keep warm instances between calls (`[instance] reuse = true`): much
    /// faster for large guests (Python, JavaScript), at the price of
    /// isolation: a call can see what the previous one left in memory.
    pub reuse_instances: bool,
}

/// Per-call limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Linear memory, in bytes.
    pub memory_bytes: usize,
    /// Wall time per call; a state's smaller `TimeoutSeconds` wins.
    pub timeout_ms: u64,
    /// Time the guest may spend computing per call (`cpu_seconds`), counted
    /// in epoch ticks; `None`: only the wall time limits it.
    pub cpu_ms: Option<u64>,
    /// Largest output accepted, in bytes.
    pub max_output_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_bytes: (DEFAULT_MEMORY_MB as usize) << 20,
            timeout_ms: DEFAULT_TIMEOUT_SECONDS * 1000,
            cpu_ms: None,
            max_output_bytes: (DEFAULT_MAX_OUTPUT_KB as usize) << 10,
        }
    }
}

/// What the plugin may see of the machine. Nothing unless granted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WasiGrants {
    /// Environment variables: name → value.
    pub env: BTreeMap<String, String>,
    /// Directories: host path (resolved against the plugin folder) → guest path.
    pub preopens: Vec<Preopen>,
    /// Real wall and monotonic clocks (otherwise both read zero).
    pub clocks: bool,
}

/// A host directory the plugin may open (`[[wasi.preopens]]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preopen {
    /// The directory on the host, resolved against the manifest's folder.
    pub host: PathBuf,
    /// Where the guest sees it: an absolute path.
    pub guest: String,
    /// Whether the guest may only read it (`true` unless the manifest says otherwise).
    pub read_only: bool,
}

/// A manifest that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ManifestError {
    /// The manifest file, as displayed.
    pub path: String,
    /// What is wrong: unreadable, bad syntax, an unknown field, a bad role or limit.
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    functions: Option<Vec<String>>,
    role: Option<Value>,
    #[serde(default)]
    limits: RawLimits,
    #[serde(default)]
    quotas: BTreeMap<String, u64>,
    #[serde(default)]
    wasi: RawWasi,
    #[serde(default)]
    instance: RawInstance,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawInstance {
    #[serde(default)]
    reuse: bool,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    memory_mb: Option<u64>,
    timeout_seconds: Option<f64>,
    cpu_seconds: Option<f64>,
    max_output_kb: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawWasi {
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(default)]
    preopens: Vec<RawPreopen>,
    #[serde(default)]
    clocks: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPreopen {
    host: String,
    guest: String,
    #[serde(default = "yes")]
    read_only: bool,
}

fn yes() -> bool {
    true
}

impl Manifest {
    /// The manifest of a plugin that has none: its own name, no grants.
    pub(crate) fn default_for(name: &str) -> Manifest {
        Manifest {
            functions: vec![name.to_owned()],
            role: Policy::deny_all(),
            role_document: Value::Null,
            limits: Limits::default(),
            quotas: crate::quota::Quotas::default(),
            wasi: WasiGrants::default(),
            reuse_instances: false,
        }
    }

    /// Reads and validates `path` (TOML or JSON by extension) for plugin `name`.
    pub fn load(path: &Path, name: &str) -> Result<Manifest, ManifestError> {
        let shown = path.display().to_string();
        let fail = |message: String| ManifestError {
            path: shown.clone(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| fail(format!("cannot read: {e}")))?;
        let raw: Raw = if path.extension().is_some_and(|e| e == "json") {
            serde_json::from_str(&text).map_err(|e| fail(e.to_string()))?
        } else {
            toml::from_str(&text).map_err(|e| fail(e.to_string().trim().to_owned()))?
        };
        let base = path.parent().unwrap_or(Path::new("."));
        Manifest::from_raw(raw, name, base).map_err(fail)
    }

    fn from_raw(raw: Raw, name: &str, base: &Path) -> Result<Manifest, String> {
        let functions = raw.functions.unwrap_or_else(|| vec![name.to_owned()]);
        if functions.is_empty() || functions.iter().any(|f| f.is_empty() || f.len() > 64) {
            return Err("functions must list 1-64 character names".into());
        }
        let (role, role_document) = match raw.role {
            None => (Policy::deny_all(), Value::Null),
            Some(doc) => (Policy::parse(&doc).map_err(|e| format!("role {e}"))?, doc),
        };
        let mut limits = Limits::default();
        if let Some(mb) = raw.limits.memory_mb {
            if !(1..=4096).contains(&mb) {
                return Err(format!("limits.memory_mb must be between 1 and 4096, got {mb}"));
            }
            limits.memory_bytes = (mb as usize) << 20;
        }
        if let Some(s) = raw.limits.timeout_seconds {
            if !(s > 0.0 && s <= 900.0) {
                return Err(format!("limits.timeout_seconds must be in (0, 900], got {s}"));
            }
            limits.timeout_ms = (s * 1000.0).round().max(1.0) as u64;
        }
        if let Some(s) = raw.limits.cpu_seconds {
            if !(s > 0.0 && s <= 900.0) {
                return Err(format!("limits.cpu_seconds must be in (0, 900], got {s}"));
            }
            limits.cpu_ms = Some((s * 1000.0).round().max(1.0) as u64);
        }
        if let Some(kb) = raw.limits.max_output_kb {
            if !(1..=256).contains(&kb) {
                return Err(format!(
                    "limits.max_output_kb must be between 1 and 256 (AWS's payload limit), got {kb}"
                ));
            }
            limits.max_output_bytes = (kb as usize) << 10;
        }
        let mut quotas = crate::quota::Quotas::default();
        for (name, value) in &raw.quotas {
            quotas.set(name, *value).map_err(|e| format!("quotas: {e}"))?;
        }
        let mut preopens = Vec::new();
        for p in raw.wasi.preopens {
            let host = base.join(&p.host);
            if !host.is_dir() {
                return Err(format!("wasi.preopens: '{}' is not a directory", host.display()));
            }
            if !p.guest.starts_with('/') {
                return Err(format!("wasi.preopens: guest path '{}' must be absolute", p.guest));
            }
            preopens.push(Preopen {
                host,
                guest: p.guest,
                read_only: p.read_only,
            });
        }
        Ok(Manifest {
            functions,
            role,
            role_document,
            limits,
            quotas,
            wasi: WasiGrants {
                env: raw.wasi.env,
                preopens,
                clocks: raw.wasi.clocks,
            },
            reuse_instances: raw.instance.reuse,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("stepyard-manifest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn toml_manifest_with_role_and_limits() {
        let p = write(
            "pay.toml",
            r#"
functions = ["paymentProcessing"]
[limits]
memory_mb = 32
timeout_seconds = 2.5
[wasi]
env = { CURRENCY = "EUR" }
[role]
Version = "2012-10-17"
[[role.Statement]]
Effect = "Allow"
Action = ["dynamodb:GetItem", "dynamodb:UpdateItem"]
Resource = "arn:aws:dynamodb:*:*:table/orders"
"#,
        );
        let m = Manifest::load(&p, "pay").unwrap();
        assert_eq!(m.functions, ["paymentProcessing"]);
        assert_eq!(m.limits.memory_bytes, 32 << 20);
        assert_eq!(m.limits.timeout_ms, 2500);
        assert_eq!(m.wasi.env["CURRENCY"], "EUR");
        assert!(
            m.role
                .check("dynamodb:UpdateItem", "arn:aws:dynamodb:us-east-1:1:table/orders")
                .is_allowed()
        );
        assert!(
            !m.role
                .check("dynamodb:DeleteItem", "arn:aws:dynamodb:us-east-1:1:table/orders")
                .is_allowed()
        );
    }

    #[test]
    fn json_manifest_accepts_a_pasted_iam_policy() {
        let p = write(
            "ship.json",
            r#"{"role": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}]}}"#,
        );
        let m = Manifest::load(&p, "ship").unwrap();
        assert_eq!(m.functions, ["ship"]);
        assert!(m.role.check("dynamodb:PutItem", "anything").is_allowed());
    }

    #[test]
    fn mistakes_name_the_file_and_the_field() {
        let p = write("typo.toml", "[limits]\nmemroy_mb = 3\n");
        let e = Manifest::load(&p, "typo").unwrap_err();
        assert!(e.path.ends_with("typo.toml") && e.message.contains("memroy_mb"), "{e}");
        let p = write(
            "bad-role.toml",
            "[role]\n[[role.Statement]]\nEffect = \"Maybe\"\nAction = \"*\"\nResource = \"*\"\n",
        );
        assert!(
            Manifest::load(&p, "x")
                .unwrap_err()
                .message
                .contains("/Statement/0/Effect")
        );
        let p = write("big.toml", "[limits]\nmax_output_kb = 1024\n");
        assert!(Manifest::load(&p, "x").unwrap_err().message.contains("max_output_kb"));
        let p = write("quota-typo.toml", "[quotas]\nlog_line_per_call = 3\n");
        let e = Manifest::load(&p, "x").unwrap_err();
        assert!(e.message.contains("unknown quota 'log_line_per_call'"), "{e}");
    }

    #[test]
    fn quotas_may_be_lowered_per_plugin() {
        let p = write(
            "quiet.toml",
            "[quotas]\nlog_lines_per_call = 10\ntable_write_kb_per_call = 64\n",
        );
        let m = Manifest::load(&p, "quiet").unwrap();
        assert_eq!(m.quotas.log_lines_per_call, 10);
        assert_eq!(m.quotas.table_write_bytes_per_call, 64 << 10);
        assert_eq!(m.quotas.table_writes_per_call, 1000, "the others keep their defaults");
    }

    #[test]
    fn no_manifest_means_no_grants() {
        let m = Manifest::default_for("p");
        assert!(!m.role.check("dynamodb:GetItem", "*").is_allowed());
        assert!(m.wasi.env.is_empty() && m.wasi.preopens.is_empty() && !m.wasi.clocks);
    }
}
