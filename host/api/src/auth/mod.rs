//! Who is calling `stepyard serve`, and what they may do.
//!
//! The auth file (`serve --auth FILE`, [`AuthConfig::load`]) lists IAM-style
//! users, each with an access key, a secret and an identity policy, and roles
//! that state machines' Lambda tasks run as. A request is authenticated by its
//! AWS Signature Version 4 (`AuthConfig::authenticate`, [`sigv4`]) and the
//! resulting [`Principal`] is authorised per action and resource against its
//! policy ([`Principal::authorize`]), with the [`stepyard_policy`] engine:
//! deny by default, an explicit `Deny` wins.
//!
//! A handler does, per request: `config.authenticate(&parts, Utc::now())`,
//! then `principal.authorize("states:<Operation>", <resource ARN>)` (the
//! operation from `X-Amz-Target`), and answers an error with its `code()`
//! as `__type`, its `Display` as `message` and its `status()`.
//!
//! Errors carry AWS's error types and texts, so SDKs raise the exceptions
//! their users already handle. The access-denied texts follow IAM's
//! documented format ("User: … is not authorized to perform: … on resource:
//! … because no identity-based policy allows the … action" / "… with an
//! explicit deny in an identity-based policy"), confirmed for Step Functions
//! (AccessDeniedException, status 400) and for Lambda called by an assumed
//! role from public bug reports.

mod config;
pub mod session;
pub mod sigv4;

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, Utc};

use stepyard_policy::{Decision, Policy};

pub use config::AuthConfigError;
pub use sigv4::{AuthError, RequestParts};

/// The account ARNs are built with when the auth file names none.
pub(crate) const DEFAULT_ACCOUNT: &str = "123456789012";

/// The session name in an assumed role's ARN. AWS puts a random one there
/// when Step Functions assumes a role; Stepyard keeps messages reproducible.
pub(crate) const DEFAULT_SESSION_NAME: &str = "stepyard";

/// The parsed, validated auth file.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    account: String,
    users: Vec<User>,
    /// Access key id → index in `users`.
    by_key: HashMap<String, usize>,
    roles: Vec<Role>,
}

/// A user's credentials and identity.
#[derive(Clone)]
struct User {
    secret_access_key: String,
    principal: Principal,
}

/// Secrets stay out of logs and panic messages.
impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("secret_access_key", &"<redacted>")
            .field("principal", &self.principal)
            .finish()
    }
}

/// An authenticated caller: an IAM user of the auth file.
#[derive(Debug, Clone)]
pub struct Principal {
    name: String,
    arn: String,
    access_key_id: String,
    policy: Policy,
}

/// A role that tasks run as (a state machine's `RoleArn`).
#[derive(Debug, Clone)]
pub struct Role {
    name: String,
    arn: String,
    account: String,
    policy: Policy,
}

/// A request that the caller's policy does not allow. Displays AWS's text;
/// [`AccessDenied::code`] and [`AccessDenied::status`] are what Step Functions
/// answers with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "User: {principal} is not authorized to perform: {action} on resource: {resource} {}",
    reason(*.explicit, .action)
)]
pub struct AccessDenied {
    /// The caller's ARN (`arn:aws:iam::…:user/…` or `arn:aws:sts::…:assumed-role/…/…`).
    pub principal: String,
    /// The action refused, as `service:Operation` (`states:StartExecution`).
    pub action: String,
    /// The ARN the action was refused on.
    pub resource: String,
    /// A `Deny` statement matched (rather than no `Allow` statement).
    pub explicit: bool,
}

fn reason(explicit: bool, action: &str) -> String {
    if explicit {
        "with an explicit deny in an identity-based policy".to_owned()
    } else {
        format!("because no identity-based policy allows the {action} action")
    }
}

impl AccessDenied {
    /// The AWS error type.
    pub fn code(&self) -> &'static str {
        "AccessDeniedException"
    }

    /// Step Functions answers 400 (Lambda would answer 403).
    pub fn status(&self) -> u16 {
        400
    }
}

fn decide(policy: &Policy, principal: &str, action: &str, resource: &str) -> Result<(), AccessDenied> {
    let explicit = match policy.check(action, resource) {
        Decision::Allowed { .. } => return Ok(()),
        Decision::ExplicitlyDenied { .. } => true,
        Decision::ImplicitlyDenied => false,
    };
    Err(AccessDenied {
        principal: principal.to_owned(),
        action: action.to_owned(),
        resource: resource.to_owned(),
        explicit,
    })
}

impl AuthConfig {
    /// Reads and validates the auth file at `path`; errors name the file and
    /// the place in it.
    pub fn load(path: &std::path::Path) -> Result<AuthConfig, AuthConfigError> {
        config::load(path)
    }

    /// Parses and validates auth-file text; `source_name` is what errors call it.
    pub fn parse(text: &str, source_name: &str) -> Result<AuthConfig, AuthConfigError> {
        config::parse(text, source_name)
    }

    /// The account id in ARNs.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The users, in file order.
    #[cfg(test)]
    pub(crate) fn principals(&self) -> impl Iterator<Item = &Principal> {
        self.users.iter().map(|u| &u.principal)
    }

    /// The roles, in file order.
    pub fn roles(&self) -> impl Iterator<Item = &Role> {
        self.roles.iter()
    }

    /// Who signed `request`: checks its Signature Version 4 for service
    /// `states` against the user whose access key it names. `now` is the
    /// server's clock, which the request's date must be within five minutes of.
    pub(crate) fn authenticate(&self, request: &RequestParts<'_>, now: DateTime<Utc>) -> Result<&Principal, AuthError> {
        let authorization = sigv4::Authorization::parse(request, now, sigv4::SERVICE)?;
        let user = self
            .by_key
            .get(authorization.access_key_id())
            .and_then(|&i| self.users.get(i))
            .ok_or(AuthError::UnrecognizedClient)?;
        authorization.verify(request, &user.secret_access_key)?;
        Ok(&user.principal)
    }

    /// The role with this ARN (`arn:aws:iam::<account>:role/<name>`).
    pub fn role(&self, role_arn: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.arn == role_arn)
    }
}

impl Principal {
    /// The user name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `arn:aws:iam::<account>:user/<name>`.
    pub fn arn(&self) -> &str {
        &self.arn
    }

    /// The access key id the caller signs with (CloudTrail's
    /// `userIdentity.accessKeyId`).
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// What the user may do.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Whether this user may perform `action` (`states:StartExecution`) on
    /// `resource` (an ARN).
    pub fn authorize(&self, action: &str, resource: &str) -> Result<(), AccessDenied> {
        decide(&self.policy, &self.arn, action, resource)
    }
}

impl Role {
    /// The role name: the part of its ARN after `role/`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `arn:aws:iam::<account>:role/<name>`.
    pub fn arn(&self) -> &str {
        &self.arn
    }

    /// What a session of the role may do: its policy from the auth file.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The ARN a session of this role acts as:
    /// `arn:aws:sts::<account>:assumed-role/<name>/<session>`.
    pub(crate) fn assumed_role_arn(&self, session_name: &str) -> String {
        format!(
            "arn:aws:sts::{}:assumed-role/{}/{session_name}",
            self.account, self.name
        )
    }

    /// Whether a session of this role may perform `action` on `resource`.
    pub fn authorize(&self, action: &str, resource: &str, session_name: &str) -> Result<(), AccessDenied> {
        decide(&self.policy, &self.assumed_role_arn(session_name), action, resource)
    }

    /// Whether this role may call `lambda:InvokeFunction` on `function_arn`;
    /// the error is Lambda's AccessDeniedException message.
    pub(crate) fn allows_invoke(&self, function_arn: &str) -> Result<(), String> {
        self.allows_invoke_as(function_arn, DEFAULT_SESSION_NAME)
    }

    /// [`Role::allows_invoke`] with the session name the message shows.
    pub(crate) fn allows_invoke_as(&self, function_arn: &str, session_name: &str) -> Result<(), String> {
        self.authorize("lambda:InvokeFunction", function_arn, session_name)
            .map_err(|denied| denied.to_string())
    }
}

#[cfg(test)]
mod tests;
