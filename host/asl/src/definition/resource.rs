//! What a Task's `Resource` names, classified as AWS classifies it: a
//! Lambda function, a service integration (with its integration pattern) or
//! an activity. The class decides which history events a task produces and
//! which output shape applies, so it is part of the validated definition.

/// What kind of resource a Task names, which decides its history events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceKind {
    /// A Lambda function ARN (`arn:aws:lambda:…:function:NAME[:QUALIFIER]`)
    /// or a bare name: `LambdaFunction*` events, the function's raw result.
    LambdaFunction {
        /// The function's name, without ARN prefix or qualifier.
        function: String,
    },
    /// A service integration (`arn:aws:states:::lambda:invoke`,
    /// `arn:aws:states:::dynamodb:putItem.sync`…): `Task*` events.
    Service {
        /// The service (`lambda`, `sqs`), or `aws-sdk:SERVICE` for an SDK integration.
        resource_type: String,
        /// The action (`invoke`, `sendMessage`), without the pattern suffix.
        resource: String,
        /// How the task waits for the service, from the ARN's suffix.
        pattern: IntegrationPattern,
    },
    /// An activity ARN (`arn:aws:states:…:activity:NAME`).
    Activity {
        /// The activity's full ARN, as written in `Resource`.
        arn: String,
    },
}

/// How Step Functions waits for a service integration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntegrationPattern {
    /// No suffix: the task ends as soon as the service answers the request.
    RequestResponse,
    /// `.sync` or `.sync:2`: the task waits for the job it started to complete.
    Sync,
    /// `.waitForTaskToken`: the task waits for `SendTaskSuccess`/`Failure` with its token.
    WaitForTaskToken,
}

impl ResourceKind {
    /// Classifies a `Resource` string.
    pub(crate) fn classify(resource: &str) -> ResourceKind {
        let parts: Vec<&str> = resource.split(':').collect();
        if parts.len() >= 6 && parts[0] == "arn" && parts[2] == "states" && parts[5] == "activity" {
            return ResourceKind::Activity {
                arn: resource.to_owned(),
            };
        }
        if parts.len() >= 6 && parts[0] == "arn" && parts[2] == "states" && parts[3].is_empty() && parts[4].is_empty() {
            let service = parts[5];
            let joined = parts.get(6..).map(|p| p.join(":")).unwrap_or_default();
            let action = joined.as_str();
            let (action, pattern) = if let Some(a) = action.strip_suffix(".sync") {
                (a, IntegrationPattern::Sync)
            } else if let Some(a) = action.strip_suffix(".sync:2") {
                (a, IntegrationPattern::Sync)
            } else if let Some(a) = action.strip_suffix(".waitForTaskToken") {
                (a, IntegrationPattern::WaitForTaskToken)
            } else {
                (action, IntegrationPattern::RequestResponse)
            };
            let (resource_type, resource) = match service {
                "aws-sdk" => {
                    let mut it = action.splitn(2, ':');
                    let svc = it.next().unwrap_or_default();
                    (format!("aws-sdk:{svc}"), it.next().unwrap_or_default().to_owned())
                }
                _ => (service.to_owned(), action.to_owned()),
            };
            return ResourceKind::Service {
                resource_type,
                resource,
                pattern,
            };
        }
        if parts.len() >= 7 && parts[0] == "arn" && parts[2] == "lambda" && parts[5] == "function" {
            return ResourceKind::LambdaFunction {
                function: parts[6].to_owned(),
            };
        }
        ResourceKind::LambdaFunction {
            function: resource.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_arns_and_bare_names_are_functions() {
        assert_eq!(
            ResourceKind::classify("arn:aws:lambda:us-east-1:123456789012:function:orderPlacement:prod"),
            ResourceKind::LambdaFunction {
                function: "orderPlacement".into()
            }
        );
        assert_eq!(
            ResourceKind::classify("orderPlacement"),
            ResourceKind::LambdaFunction {
                function: "orderPlacement".into()
            }
        );
    }

    #[test]
    fn service_integrations_split_type_action_and_pattern() {
        assert_eq!(
            ResourceKind::classify("arn:aws:states:::lambda:invoke"),
            ResourceKind::Service {
                resource_type: "lambda".into(),
                resource: "invoke".into(),
                pattern: IntegrationPattern::RequestResponse
            }
        );
        assert_eq!(
            ResourceKind::classify("arn:aws:states:::sqs:sendMessage.waitForTaskToken"),
            ResourceKind::Service {
                resource_type: "sqs".into(),
                resource: "sendMessage".into(),
                pattern: IntegrationPattern::WaitForTaskToken
            }
        );
        assert_eq!(
            ResourceKind::classify("arn:aws:states:::aws-sdk:s3:getObject"),
            ResourceKind::Service {
                resource_type: "aws-sdk:s3".into(),
                resource: "getObject".into(),
                pattern: IntegrationPattern::RequestResponse
            }
        );
    }
}
