//! ARNs and names, as Step Functions forms and checks them.

use super::error::{ServiceError, ServiceResult};

/// The region and account every resource of this server lives in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The AWS region, `us-east-1` by default.
    pub region: String,
    /// The 12-digit account id, `123456789012` by default.
    pub account: String,
}

impl Default for Location {
    fn default() -> Location {
        Location {
            region: "us-east-1".into(),
            account: "123456789012".into(),
        }
    }
}

impl Location {
    fn prefix(&self) -> String {
        format!("arn:aws:states:{}:{}", self.region, self.account)
    }

    /// The ARN of the state machine `name`: `arn:aws:states:…:stateMachine:<name>`.
    pub fn state_machine_arn(&self, name: &str) -> String {
        format!("{}:stateMachine:{name}", self.prefix())
    }

    /// The ARN of execution `name` of the machine named `machine`.
    pub fn execution_arn(&self, machine: &str, name: &str) -> String {
        format!("{}:execution:{machine}:{name}", self.prefix())
    }

    pub(crate) fn express_execution_arn(&self, machine: &str, name: &str) -> String {
        format!("{}:express:{machine}:{name}:{name}", self.prefix())
    }
}

/// What a Step Functions ARN names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource<'a> {
    /// `…:stateMachine:<name>`, or `…:stateMachine:<name>:<version>`.
    StateMachine {
        /// The machine's name, as the ARN spells it (not checked against AWS's rules).
        name: &'a str,
        /// The version number (1 or more) when the ARN is qualified by one.
        version: Option<u64>,
    },
    /// `…:stateMachine:<name>:<alias>`: a qualifier that is not a number.
    Alias {
        /// The name of the machine the alias belongs to.
        machine: &'a str,
        /// The alias name: 1-80 letters, digits, `-`, `_` or `.`, not all digits.
        alias: &'a str,
    },
    /// `…:execution:<machine>:<name>`.
    Execution {
        /// The name of the machine the execution runs.
        machine: &'a str,
        /// The execution's name, unique among its machine's executions.
        name: &'a str,
    },
}

/// What a state machine ARN that may be qualified points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The machine itself (its latest revision).
    Latest,
    /// A published version, by number.
    Version(u64),
    /// An alias, by name.
    Alias(String),
}

/// Parses `arn:aws:states:<region>:<account>:<type>:<…>`.
pub fn parse(arn: &str) -> ServiceResult<Resource<'_>> {
    let parts: Vec<&str> = arn.split(':').collect();
    if parts.len() < 7 || parts[0] != "arn" || !parts[1].starts_with("aws") || parts[2] != "states" {
        return Err(ServiceError::invalid_arn(arn, "Invalid ARN prefix"));
    }
    match (parts[5], &parts[6..]) {
        ("stateMachine", [name]) => Ok(Resource::StateMachine { name, version: None }),
        ("stateMachine", [name, qualifier]) => match qualifier.parse::<u64>() {
            Ok(v) if v > 0 => Ok(Resource::StateMachine { name, version: Some(v) }),
            Err(_) if alias_name_is_valid(qualifier) => Ok(Resource::Alias {
                machine: name,
                alias: qualifier,
            }),
            _ => Err(ServiceError::invalid_arn(arn, "Invalid version qualifier")),
        },
        ("execution", [machine, name]) => Ok(Resource::Execution { machine, name }),
        (kind, _) => Err(ServiceError::invalid_arn(
            arn,
            &format!("Resource type not valid in this context: {kind}"),
        )),
    }
}

/// The base machine ARN and version of a state machine ARN; an execution
/// or alias ARN is refused.
pub fn state_machine(arn: &str) -> ServiceResult<(String, Option<u64>)> {
    match target(arn)? {
        (base, Target::Latest) => Ok((base, None)),
        (base, Target::Version(v)) => Ok((base, Some(v))),
        (_, Target::Alias(_)) => Err(ServiceError::invalid_arn(
            arn,
            "Resource type not valid in this context: alias",
        )),
    }
}

/// The base machine ARN of a state machine, version or alias ARN, and
/// which of them it is; an execution ARN is refused.
pub fn target(arn: &str) -> ServiceResult<(String, Target)> {
    let base = || arn.rsplit_once(':').map_or(arn, |(b, _)| b).to_owned();
    match parse(arn)? {
        Resource::StateMachine { version: None, .. } => Ok((arn.to_owned(), Target::Latest)),
        Resource::StateMachine { version: Some(v), .. } => Ok((base(), Target::Version(v))),
        Resource::Alias { alias, .. } => Ok((base(), Target::Alias(alias.to_owned()))),
        Resource::Execution { .. } => Err(ServiceError::invalid_arn(
            arn,
            "Resource type not valid in this context: execution",
        )),
    }
}

/// An alias name: 1-80 letters, digits, `-`, `_` and `.`, not all digits
/// (a number names a version).
pub(crate) fn alias_name_is_valid(name: &str) -> bool {
    (1..=80).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        && !name.chars().all(|c| c.is_ascii_digit())
}

/// Checks that `arn` is an execution ARN.
pub fn execution(arn: &str) -> ServiceResult<()> {
    match parse(arn)? {
        Resource::Execution { .. } => Ok(()),
        Resource::StateMachine { .. } | Resource::Alias { .. } => Err(ServiceError::invalid_arn(
            arn,
            "Resource type not valid in this context: stateMachine",
        )),
    }
}

/// AWS's rules for state machine and execution names: 1–80 characters, no
/// whitespace, brackets, wildcards, special or control characters.
pub(crate) fn check_name(name: &str) -> ServiceResult<()> {
    let bad = |c: char| {
        c.is_whitespace()
            || "<>{}[]?*\"#%\\^|~`$&,;:/".contains(c)
            || ('\u{0000}'..='\u{001f}').contains(&c)
            || ('\u{007f}'..='\u{009f}').contains(&c)
    };
    let length = name.chars().count();
    if length == 0 || length > 80 || name.chars().any(bad) {
        return Err(ServiceError::new("InvalidName", format!("Invalid Name: '{name}'")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_execution_and_version_arns_parse_and_wrong_kinds_are_refused() {
        let here = Location::default();
        let m = here.state_machine_arn("Orders");
        assert_eq!(state_machine(&m).unwrap(), (m.clone(), None));
        assert_eq!(state_machine(&format!("{m}:3")).unwrap(), (m.clone(), Some(3)));
        let e = here.execution_arn("Orders", "run-1");
        execution(&e).unwrap();
        assert_eq!(state_machine(&e).unwrap_err().code, "InvalidArn");
        assert_eq!(execution(&m).unwrap_err().code, "InvalidArn");
        assert_eq!(parse("not-an-arn").unwrap_err().code, "InvalidArn");
        assert_eq!(state_machine(&format!("{m}:0")).unwrap_err().code, "InvalidArn");
        // A qualifier that is not a number names an alias.
        assert_eq!(
            target(&format!("{m}:PROD")).unwrap(),
            (m.clone(), Target::Alias("PROD".into()))
        );
        assert_eq!(state_machine(&format!("{m}:PROD")).unwrap_err().code, "InvalidArn");
        assert_eq!(target(&format!("{m}:no/slash")).unwrap_err().code, "InvalidArn");
        assert!(!alias_name_is_valid("123") && alias_name_is_valid("v1.2-blue_green"));
    }

    #[test]
    fn names_follow_aws_rules() {
        check_name("order-1_A.b").unwrap();
        for bad in ["", "has space", "a:b", "x*", "{}", &"n".repeat(81), "tab\t"] {
            assert_eq!(check_name(bad).unwrap_err().code, "InvalidName", "{bad:?}");
        }
    }
}
