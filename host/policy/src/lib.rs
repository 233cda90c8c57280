//! IAM-style policies: what a principal (a plugin's role, a caller's key)
//! may do. Deny by default; an explicit `Deny` wins over any `Allow`.
//!
//! Policies are parsed once into a [`Policy`] whose patterns are compiled;
//! checking a request never re-parses anything.
//!
//! Must not depend on: any other Stepyard crate but `stepyard-wildcard`.
//! Both the plugin runtime (plugin roles) and the API (callers' policies)
//! use it, so it knows neither.

pub mod arn;
mod pattern;

use std::fmt;

use serde_json::Value;

pub use pattern::Pattern;

/// A parsed policy document (`{"Version": …, "Statement": [...]}`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    statements: Vec<Statement>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Statement {
    sid: Option<String>,
    effect: Effect,
    actions: Matcher,
    resources: Matcher,
}

/// `Action`/`NotAction` (or `Resource`/`NotResource`): patterns, negated or not.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Matcher {
    patterns: Vec<Pattern>,
    negated: bool,
}

impl Matcher {
    fn matches(&self, value: &str) -> bool {
        self.patterns.iter().any(|p| p.matches(value)) != self.negated
    }
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// The statement grants what it matches.
    Allow,
    /// The statement refuses what it matches, whatever else allows it.
    Deny,
}

/// The outcome of a check, with the statement that decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// An `Allow` statement matched and no `Deny` did.
    Allowed {
        /// The `Sid` of the first matching `Allow` statement, if it has one.
        statement: Option<String>,
    },
    /// An explicit `Deny` statement matched.
    ExplicitlyDenied {
        /// The `Sid` of the first matching `Deny` statement, if it has one.
        statement: Option<String>,
    },
    /// No statement allowed it.
    ImplicitlyDenied,
}

impl Decision {
    /// Whether the request may go ahead ([`Decision::Allowed`]).
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allowed { .. })
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sid = |s: &Option<String>| s.as_ref().map(|s| format!(" (statement {s})")).unwrap_or_default();
        match self {
            Decision::Allowed { statement } => write!(f, "allowed{}", sid(statement)),
            Decision::ExplicitlyDenied { statement } => write!(f, "explicitly denied{}", sid(statement)),
            Decision::ImplicitlyDenied => f.write_str("not allowed by any statement"),
        }
    }
}

/// A policy document that cannot be used, with where the problem is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {message}")]
pub struct PolicyError {
    /// JSON-pointer-like location inside the document (`/Statement/0/Effect`).
    pub location: String,
    /// What is wrong there, in words (`unknown field 'Effects'`).
    pub message: String,
}

fn err(location: impl Into<String>, message: impl Into<String>) -> PolicyError {
    PolicyError {
        location: location.into(),
        message: message.into(),
    }
}

impl Policy {
    /// A policy that allows nothing.
    pub fn deny_all() -> Policy {
        Policy::default()
    }

    /// Parses a policy document. Unknown or unsupported parts (`Condition`,
    /// `Principal`) are errors rather than silently ignored, so a policy
    /// never grants more than it says.
    pub fn parse(document: &Value) -> Result<Policy, PolicyError> {
        let obj = document
            .as_object()
            .ok_or_else(|| err("/", "a policy must be a JSON object"))?;
        for key in obj.keys() {
            if !matches!(key.as_str(), "Version" | "Statement" | "Id") {
                return Err(err(format!("/{key}"), format!("unknown field '{key}'")));
            }
        }
        if let Some(v) = obj.get("Version")
            && !matches!(v.as_str(), Some("2012-10-17" | "2008-10-17"))
        {
            return Err(err("/Version", "Version must be \"2012-10-17\" or \"2008-10-17\""));
        }
        let statements = match obj.get("Statement") {
            None => return Err(err("/", "a policy needs a Statement")),
            Some(Value::Array(list)) => list
                .iter()
                .enumerate()
                .map(|(i, s)| statement(s, i))
                .collect::<Result<_, _>>()?,
            Some(single @ Value::Object(_)) => vec![statement(single, 0)?],
            Some(_) => return Err(err("/Statement", "Statement must be an object or an array of objects")),
        };
        Ok(Policy { statements })
    }

    /// Whether `action` on `resource` is allowed, as [`Policy::check`]
    /// decides, without naming the statement (nothing allocated: plugins'
    /// host calls ask this on every call).
    pub fn allows(&self, action: &str, resource: &str) -> bool {
        matches!(self.deciding(action, resource), Some((Effect::Allow, _)))
    }

    /// Whether `action` on `resource` is allowed. Explicit Deny wins; no
    /// matching Allow means deny.
    pub fn check(&self, action: &str, resource: &str) -> Decision {
        match self.deciding(action, resource) {
            Some((Effect::Deny, s)) => Decision::ExplicitlyDenied {
                statement: s.sid.clone(),
            },
            Some((Effect::Allow, s)) => Decision::Allowed {
                statement: s.sid.clone(),
            },
            None => Decision::ImplicitlyDenied,
        }
    }

    /// The statement that decides: the first matching Deny, else the first
    /// matching Allow, else none.
    fn deciding(&self, action: &str, resource: &str) -> Option<(Effect, &Statement)> {
        let mut allow = None;
        for s in &self.statements {
            if s.actions.matches(action) && s.resources.matches(resource) {
                match s.effect {
                    Effect::Deny => return Some((Effect::Deny, s)),
                    Effect::Allow => allow = allow.or(Some((Effect::Allow, s))),
                }
            }
        }
        allow
    }
}

fn statement(value: &Value, index: usize) -> Result<Statement, PolicyError> {
    let loc = format!("/Statement/{index}");
    let obj = value
        .as_object()
        .ok_or_else(|| err(&loc, "a statement must be a JSON object"))?;
    for key in obj.keys() {
        match key.as_str() {
            "Sid" | "Effect" | "Action" | "NotAction" | "Resource" | "NotResource" => {}
            "Condition" | "Principal" | "NotPrincipal" => {
                return Err(err(
                    format!("{loc}/{key}"),
                    format!("'{key}' is not supported in Stepyard roles"),
                ));
            }
            other => return Err(err(format!("{loc}/{other}"), format!("unknown field '{other}'"))),
        }
    }
    let sid = obj.get("Sid").and_then(Value::as_str).map(str::to_owned);
    let effect = match obj.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        _ => return Err(err(format!("{loc}/Effect"), "Effect must be \"Allow\" or \"Deny\"")),
    };
    let actions = matcher(obj, "Action", "NotAction", &loc, false)?;
    let resources = matcher(obj, "Resource", "NotResource", &loc, true)?;
    Ok(Statement {
        sid,
        effect,
        actions,
        resources,
    })
}

fn matcher(
    obj: &serde_json::Map<String, Value>,
    key: &str,
    not_key: &str,
    loc: &str,
    case_sensitive: bool,
) -> Result<Matcher, PolicyError> {
    let (value, negated, field) = match (obj.get(key), obj.get(not_key)) {
        (Some(v), None) => (v, false, key),
        (None, Some(v)) => (v, true, not_key),
        (Some(_), Some(_)) => return Err(err(loc, format!("'{key}' and '{not_key}' cannot both be present"))),
        (None, None) => return Err(err(loc, format!("a statement needs '{key}' or '{not_key}'"))),
    };
    let list: Vec<&str> = match value {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .ok_or_else(|| err(format!("{loc}/{field}"), format!("{field} entries must be strings")))
            })
            .collect::<Result<_, _>>()?,
        _ => {
            return Err(err(
                format!("{loc}/{field}"),
                format!("{field} must be a string or an array of strings"),
            ));
        }
    };
    if list.is_empty() {
        return Err(err(format!("{loc}/{field}"), format!("{field} must not be empty")));
    }
    let patterns = list.into_iter().map(|p| Pattern::new(p, case_sensitive)).collect();
    Ok(Matcher { patterns, negated })
}

#[cfg(test)]
mod tests;
