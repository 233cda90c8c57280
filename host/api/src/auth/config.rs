//! Reading the auth file: JSON with `account`, `users` and `roles`.
//!
//! Parsed once, when the server starts. Unknown fields are errors (a typo must
//! not silently drop a grant or a key), and so are duplicate access keys,
//! duplicate names, empty secrets and any policy the policy engine refuses.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use super::{AuthConfig, DEFAULT_ACCOUNT, Principal, Role, User};
use stepyard_policy::{Policy, PolicyError};

/// An auth file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthConfigError {
    /// The file cannot be read (missing, not permitted, not UTF-8).
    #[error("{file}: cannot read: {reason}")]
    Read {
        /// The auth file's path, as given.
        file: String,
        /// The I/O error, as text.
        reason: String,
    },
    /// Not JSON, or not the auth file's shape (with serde's line and column).
    #[error("{file}: {reason}")]
    Syntax {
        /// The auth file's path, as given.
        file: String,
        /// serde's error, with the line and column.
        reason: String,
    },
    /// A value that is refused, at `location` (`users[1].secretAccessKey`).
    #[error("{file}: {location}: {reason}")]
    Invalid {
        /// The auth file's path, as given.
        file: String,
        /// Where the value is, as a JSON path (`roles[0].policy`).
        location: String,
        /// What is wrong with it (an empty secret, a duplicate key, a refused policy…).
        reason: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    account: Option<String>,
    #[serde(default)]
    users: Vec<RawUser>,
    #[serde(default)]
    roles: Vec<RawRole>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawUser {
    name: String,
    access_key_id: String,
    secret_access_key: String,
    policy: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRole {
    name: String,
    policy: Value,
}

pub(super) fn load(path: &Path) -> Result<AuthConfig, AuthConfigError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| AuthConfigError::Read {
        file: file.clone(),
        reason: e.to_string(),
    })?;
    parse(&text, &file)
}

pub(super) fn parse(text: &str, file: &str) -> Result<AuthConfig, AuthConfigError> {
    let raw: RawFile = serde_json::from_str(text).map_err(|e| AuthConfigError::Syntax {
        file: file.to_owned(),
        reason: e.to_string(),
    })?;
    let invalid = |location: String, reason: String| AuthConfigError::Invalid {
        file: file.to_owned(),
        location,
        reason,
    };

    let account = raw.account.unwrap_or_else(|| DEFAULT_ACCOUNT.to_owned());
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(
            "account".into(),
            format!("an account id is 12 digits, got \"{account}\""),
        ));
    }
    if raw.users.is_empty() {
        return Err(invalid(
            "users".into(),
            "no users: every request would be refused".into(),
        ));
    }

    let mut users = Vec::with_capacity(raw.users.len());
    let mut by_key: HashMap<String, usize> = HashMap::new();
    let mut names: HashMap<String, usize> = HashMap::new();
    for (i, user) in raw.users.into_iter().enumerate() {
        let at = |field: &str| format!("users[{i}].{field}");
        check_iam_name(&user.name).map_err(|reason| invalid(at("name"), reason))?;
        // IAM names are unique regardless of case.
        if let Some(first) = names.insert(user.name.to_ascii_lowercase(), i) {
            return Err(invalid(
                at("name"),
                format!("\"{}\" is already the name of users[{first}]", user.name),
            ));
        }
        check_access_key_id(&user.access_key_id).map_err(|reason| invalid(at("accessKeyId"), reason))?;
        if let Some(first) = by_key.insert(user.access_key_id.clone(), i) {
            return Err(invalid(
                at("accessKeyId"),
                format!("\"{}\" is already the access key of users[{first}]", user.access_key_id),
            ));
        }
        check_secret(&user.secret_access_key).map_err(|reason| invalid(at("secretAccessKey"), reason))?;
        let policy = parse_policy(&user.policy).map_err(|(place, reason)| invalid(at("policy") + &place, reason))?;
        users.push(User {
            secret_access_key: user.secret_access_key,
            principal: Principal {
                arn: format!("arn:aws:iam::{account}:user/{}", user.name),
                name: user.name,
                access_key_id: user.access_key_id,
                policy,
            },
        });
    }

    let mut roles: Vec<Role> = Vec::with_capacity(raw.roles.len());
    let mut role_names: HashMap<String, usize> = HashMap::new();
    for (i, role) in raw.roles.into_iter().enumerate() {
        let at = |field: &str| format!("roles[{i}].{field}");
        check_iam_name(&role.name).map_err(|reason| invalid(at("name"), reason))?;
        if let Some(first) = role_names.insert(role.name.to_ascii_lowercase(), i) {
            return Err(invalid(
                at("name"),
                format!("\"{}\" is already the name of roles[{first}]", role.name),
            ));
        }
        let policy = parse_policy(&role.policy).map_err(|(place, reason)| invalid(at("policy") + &place, reason))?;
        roles.push(Role {
            arn: format!("arn:aws:iam::{account}:role/{}", role.name),
            name: role.name,
            account: account.clone(),
            policy,
        });
    }

    Ok(AuthConfig {
        account,
        users,
        by_key,
        roles,
    })
}

/// IAM user and role names: 1-64 of `A-Za-z0-9` and `+=,.@_-`.
fn check_iam_name(name: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c);
    if name.is_empty() || name.len() > 64 || !name.chars().all(allowed) {
        return Err(format!(
            "\"{name}\" is not an IAM name (1-64 letters, digits and +=,.@_-)"
        ));
    }
    Ok(())
}

/// Access key ids go into `Credential=<id>/<date>/…`: word characters only.
fn check_access_key_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("must not be empty".into());
    }
    if id.len() > 128 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!(
            "\"{id}\" is not an access key id (1-128 letters, digits and _)"
        ));
    }
    Ok(())
}

/// Never echoes the secret.
fn check_secret(secret: &str) -> Result<(), String> {
    if secret.is_empty() {
        return Err("must not be empty".into());
    }
    if secret.trim() != secret {
        // A pasted secret with a stray space would fail every signature, silently.
        return Err("starts or ends with whitespace".into());
    }
    Ok(())
}

/// The policy, or where it is wrong (`.Statement[0].Effect`) and why.
fn parse_policy(document: &Value) -> Result<Policy, (String, String)> {
    Policy::parse(document).map_err(|PolicyError { location, message }| (pointer_to_path(&location), message))
}

/// `/Statement/0/Effect` → `.Statement[0].Effect`; `/` → nothing.
fn pointer_to_path(pointer: &str) -> String {
    let mut out = String::new();
    for segment in pointer.split('/').filter(|s| !s.is_empty()) {
        if segment.bytes().all(|b| b.is_ascii_digit()) {
            out.push('[');
            out.push_str(segment);
            out.push(']');
        } else {
            out.push('.');
            out.push_str(segment);
        }
    }
    out
}
