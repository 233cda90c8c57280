//! State machine aliases: CreateStateMachineAlias, DescribeStateMachineAlias,
//! ListStateMachineAliases, UpdateStateMachineAlias, DeleteStateMachineAlias.
//! An alias names one version, or two with the percentage of new
//! executions each gets; StartExecution with the alias's ARN picks one by
//! weight (see `executions::load_for_start`).

use serde::Deserialize;
use serde_json::{Value, json};

use super::arn::{self, Target};
use super::{Service, ServiceError, ServiceResult, epoch, page_by_arn, page_size};
use stepyard_store::{AliasRecord, AliasRoute, AliasWrite};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CreateAliasRequest {
    name: String,
    description: Option<String>,
    routing_configuration: Vec<RouteRequest>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RouteRequest {
    state_machine_version_arn: String,
    weight: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AliasArnRequest {
    state_machine_alias_arn: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UpdateAliasRequest {
    state_machine_alias_arn: String,
    description: Option<String>,
    routing_configuration: Option<Vec<RouteRequest>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ListAliasesRequest {
    state_machine_arn: String,
    max_results: Option<i64>,
    next_token: Option<String>,
}

/// The version a weighted pick lands on: `percent` is uniform in 0..100,
/// and each route takes its weight's share of that range.
pub(super) fn pick_version(routing: &[AliasRoute], percent: u32) -> &str {
    let mut upper = 0;
    for route in routing {
        upper += route.weight;
        if percent < upper {
            return &route.version_arn;
        }
    }
    // Weights sum to 100, so only an empty routing gets here.
    routing.last().map_or("", |r| r.version_arn.as_str())
}

impl Service {
    pub(super) async fn create_state_machine_alias(&self, req: CreateAliasRequest) -> ServiceResult<Value> {
        if !arn::alias_name_is_valid(&req.name) {
            return Err(ServiceError::new(
                "InvalidName",
                format!("Invalid Name: '{}'", req.name),
            ));
        }
        check_description(req.description.as_deref())?;
        let (machine_arn, routing) = routing(&req.routing_configuration)?;
        let now = self.now_millis();
        let record = AliasRecord {
            arn: format!("{machine_arn}:{}", req.name),
            state_machine_arn: machine_arn,
            name: req.name,
            description: req.description,
            routing,
            creation_millis: now,
            update_millis: now,
        };
        let stored = self.store_alias(record, true).await?;
        Ok(json!({
            "stateMachineAliasArn": stored.arn,
            "creationDate": epoch(stored.creation_millis),
        }))
    }

    pub(super) fn describe_state_machine_alias(&self, req: AliasArnRequest) -> ServiceResult<Value> {
        let alias = self.alias_at(&req.state_machine_alias_arn)?;
        let mut out = json!({
            "stateMachineAliasArn": alias.arn,
            "name": alias.name,
            "routingConfiguration": alias.routing.iter().map(|r| json!({
                "stateMachineVersionArn": r.version_arn,
                "weight": r.weight,
            })).collect::<Vec<_>>(),
            "creationDate": epoch(alias.creation_millis),
            "updateDate": epoch(alias.update_millis),
        });
        if let Some(d) = &alias.description {
            out["description"] = d.clone().into();
        }
        Ok(out)
    }

    pub(super) fn list_state_machine_aliases(&self, req: ListAliasesRequest) -> ServiceResult<Value> {
        let (machine_arn, _) = arn::state_machine(&req.state_machine_arn)?;
        if self.store.state_machine(&machine_arn)?.is_none() {
            return Err(ServiceError::machine_missing(&req.state_machine_arn));
        }
        let limit = page_size(req.max_results)?;
        let aliases = self.store.aliases_of(&machine_arn)?;
        page_by_arn(
            &aliases,
            req.next_token.as_deref(),
            limit,
            ("stateMachineAliases", "stateMachineAliasArn"),
            |a| (a.arn.as_str(), a.creation_millis),
        )
    }

    pub(super) async fn update_state_machine_alias(&self, req: UpdateAliasRequest) -> ServiceResult<Value> {
        if req.description.is_none() && req.routing_configuration.is_none() {
            return Err(ServiceError::validation(
                "Either description or routingConfiguration must be specified",
            ));
        }
        check_description(req.description.as_deref())?;
        let mut alias = self.alias_at(&req.state_machine_alias_arn)?;
        if let Some(routes) = &req.routing_configuration {
            let (machine_arn, routing) = routing(routes)?;
            if machine_arn != alias.state_machine_arn {
                return Err(ServiceError::validation(format!(
                    "The routing configuration's versions must belong to the alias's state machine, '{}'",
                    alias.state_machine_arn
                )));
            }
            alias.routing = routing;
        }
        if req.description.is_some() {
            alias.description = req.description;
        }
        alias.update_millis = self.now_millis();
        let stored = self.store_alias(alias, false).await?;
        Ok(json!({ "updateDate": epoch(stored.update_millis) }))
    }

    pub(super) async fn delete_state_machine_alias(&self, req: AliasArnRequest) -> ServiceResult<Value> {
        let (machine_arn, name) = alias_parts(&req.state_machine_alias_arn)?;
        if !self.store.delete_alias(&machine_arn, &name).await? {
            return Err(ServiceError::resource_missing(&req.state_machine_alias_arn));
        }
        Ok(json!({}))
    }

    /// The alias at `alias_arn`, or AWS's ResourceNotFound.
    fn alias_at(&self, alias_arn: &str) -> ServiceResult<AliasRecord> {
        let (machine_arn, name) = alias_parts(alias_arn)?;
        self.store
            .alias(&machine_arn, &name)?
            .ok_or_else(|| ServiceError::resource_missing(alias_arn))
    }

    async fn store_alias(&self, record: AliasRecord, create: bool) -> ServiceResult<AliasRecord> {
        let arn = record.arn.clone();
        match self.store.put_alias(record, create).await? {
            AliasWrite::Stored(stored) => Ok(stored),
            AliasWrite::Exists => Err(ServiceError::new(
                "ConflictException",
                format!(
                    "Failed to create alias because an alias with the same name and a different routing configuration or description already exists: '{arn}'"
                ),
            )),
            AliasWrite::Missing => Err(ServiceError::resource_missing(&arn)),
            AliasWrite::TargetMissing(missing) => Err(ServiceError::resource_missing(&missing)),
        }
    }
}

/// The machine ARN and alias name of an alias ARN.
fn alias_parts(alias_arn: &str) -> ServiceResult<(String, String)> {
    match arn::target(alias_arn)? {
        (machine, Target::Alias(name)) => Ok((machine, name)),
        _ => Err(ServiceError::invalid_arn(
            alias_arn,
            "Expected a state machine alias ARN",
        )),
    }
}

/// AWS's limit on descriptions.
fn check_description(description: Option<&str>) -> ServiceResult<()> {
    match description {
        Some(d) if d.chars().count() > 256 => Err(ServiceError::validation(
            "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 256",
        )),
        _ => Ok(()),
    }
}

/// A routing configuration checked as AWS checks it: one or two versions
/// of one machine, each once, weights 0-100 that sum to 100. Returns the
/// machine's ARN with the routes.
fn routing(routes: &[RouteRequest]) -> ServiceResult<(String, Vec<AliasRoute>)> {
    if routes.is_empty() || routes.len() > 2 {
        return Err(ServiceError::validation(format!(
            "1 validation error detected: Value at 'routingConfiguration' failed to satisfy constraint: Member must have length between 1 and 2 (got {})",
            routes.len()
        )));
    }
    let mut machine: Option<String> = None;
    let mut out = Vec::with_capacity(routes.len());
    for route in routes {
        let given = &route.state_machine_version_arn;
        let (base, Some(_)) = arn::state_machine(given)? else {
            return Err(ServiceError::validation(format!(
                "Routing configuration must contain state machine version ARNs: '{given}'"
            )));
        };
        if machine.as_ref().is_some_and(|m| *m != base) {
            return Err(ServiceError::validation(
                "Routing configuration must contain versions of the same state machine",
            ));
        }
        if out.iter().any(|r: &AliasRoute| r.version_arn == *given) {
            return Err(ServiceError::validation(
                "Routing configuration must contain distinct state machine versions",
            ));
        }
        let weight = u32::try_from(route.weight)
            .ok()
            .filter(|w| *w <= 100)
            .ok_or_else(|| {
                ServiceError::validation(format!(
                    "1 validation error detected: Value '{}' at 'weight' failed to satisfy constraint: Member must have value between 0 and 100",
                    route.weight
                ))
            })?;
        machine = Some(base);
        out.push(AliasRoute {
            version_arn: given.clone(),
            weight,
        });
    }
    if out.iter().map(|r| r.weight).sum::<u32>() != 100 {
        return Err(ServiceError::validation(
            "Sum of routing configuration weights must equal 100",
        ));
    }
    Ok((machine.unwrap_or_default(), out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_weighted_pick_gives_each_version_its_share_of_the_range() {
        let routes = [
            AliasRoute {
                version_arn: "m:1".into(),
                weight: 30,
            },
            AliasRoute {
                version_arn: "m:2".into(),
                weight: 70,
            },
        ];
        let picks: Vec<&str> = (0..100).map(|p| pick_version(&routes, p)).collect();
        assert_eq!(picks.iter().filter(|v| **v == "m:1").count(), 30);
        assert_eq!(picks[29], "m:1");
        assert_eq!(picks[30], "m:2");
        let only = [AliasRoute {
            version_arn: "m:3".into(),
            weight: 100,
        }];
        assert!((0..100).all(|p| pick_version(&only, p) == "m:3"));
    }
}
