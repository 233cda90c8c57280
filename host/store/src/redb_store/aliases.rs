//! State machine aliases in the database file: each names one or two
//! published versions of its machine. The checks that keep an alias
//! pointing at versions that exist run in the write that stores it, and a
//! version an alias routes to cannot be deleted.

use redb::{ReadableTable, TableDefinition, WriteTransaction};

use super::executions::{decode, encode};
use super::machines::{MACHINES, VERSIONS};
use super::{RedbStore, io, read_table};
use crate::StoreError;
use crate::records::*;

/// (machine ARN, alias name) → alias record (JSON).
pub(super) const ALIASES: TableDefinition<(&str, &str), &str> = TableDefinition::new("state_machine_aliases");

/// How storing an alias went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AliasWrite {
    /// Stored (or, for a create, the same alias was there already).
    Stored(AliasRecord),
    /// A create found an alias of that name with other settings.
    Exists,
    /// An update found no alias of that name.
    Missing,
    /// The machine or one of the versions is not there (its ARN).
    TargetMissing(String),
}

impl RedbStore {
    /// The alias `name` of the machine at `machine_arn`.
    pub fn alias(&self, machine_arn: &str, name: &str) -> Result<Option<AliasRecord>, StoreError> {
        let read = self.begin_read()?;
        let Some(table) = read_table(&read, ALIASES)? else {
            return Ok(None);
        };
        let found = table.get((machine_arn, name)).map_err(io)?;
        found.map(|g| decode("alias", name, g.value())).transpose()
    }

    /// Every alias of the machine at `machine_arn`, by name.
    pub fn aliases_of(&self, machine_arn: &str) -> Result<Vec<AliasRecord>, StoreError> {
        let read = self.begin_read()?;
        match read_table(&read, ALIASES)? {
            Some(table) => aliases_in(&table, machine_arn),
            None => Ok(Vec::new()),
        }
    }

    /// Stores `record` as a new alias (`create`) or over an existing one,
    /// once its machine and versions are found in the same write.
    pub async fn put_alias(&self, record: AliasRecord, create: bool) -> Result<AliasWrite, StoreError> {
        self.committer
            .write_async(move |txn| {
                if let Some(missing) = missing_target(txn, &record)? {
                    return Ok(AliasWrite::TargetMissing(missing));
                }
                let key = (record.state_machine_arn.as_str(), record.name.as_str());
                let mut aliases = txn.open_table(ALIASES).map_err(io)?;
                let existing = match aliases.get(key).map_err(io)? {
                    Some(g) => Some(decode::<AliasRecord>("alias", &record.name, g.value())?),
                    None => None,
                };
                let stored = match (existing, create) {
                    (Some(old), true) if old.description == record.description && old.routing == record.routing => {
                        return Ok(AliasWrite::Stored(old));
                    }
                    (Some(_), true) => return Ok(AliasWrite::Exists),
                    (None, false) => return Ok(AliasWrite::Missing),
                    (Some(old), false) => AliasRecord {
                        creation_millis: old.creation_millis,
                        ..record
                    },
                    (None, true) => record,
                };
                let text = encode(&stored)?;
                aliases
                    .insert((stored.state_machine_arn.as_str(), stored.name.as_str()), text.as_str())
                    .map_err(io)?;
                Ok(AliasWrite::Stored(stored))
            })
            .await
    }

    /// Deletes an alias; false if there was none.
    pub async fn delete_alias(&self, machine_arn: &str, name: &str) -> Result<bool, StoreError> {
        let (machine_arn, name) = (machine_arn.to_owned(), name.to_owned());
        self.committer
            .write_async(move |txn| {
                let removed = txn
                    .open_table(ALIASES)
                    .map_err(io)?
                    .remove((machine_arn.as_str(), name.as_str()))
                    .map_err(io)?
                    .is_some();
                Ok(removed)
            })
            .await
    }
}

/// The ARN of the first of the alias's machine and versions that is not
/// stored.
fn missing_target(txn: &WriteTransaction, record: &AliasRecord) -> Result<Option<String>, StoreError> {
    let machines = txn.open_table(MACHINES).map_err(io)?;
    if machines.get(record.state_machine_arn.as_str()).map_err(io)?.is_none() {
        return Ok(Some(record.state_machine_arn.clone()));
    }
    let versions = txn.open_table(VERSIONS).map_err(io)?;
    for route in &record.routing {
        let number = route.version_arn.rsplit(':').next().and_then(|v| v.parse::<u64>().ok());
        let found = match number {
            Some(n) => versions
                .get((record.state_machine_arn.as_str(), n))
                .map_err(io)?
                .is_some(),
            None => false,
        };
        if !found {
            return Ok(Some(route.version_arn.clone()));
        }
    }
    Ok(None)
}

/// The names of the aliases of `machine_arn` that route to `version_arn`.
pub(super) fn aliases_routing_to(
    txn: &WriteTransaction,
    machine_arn: &str,
    version_arn: &str,
) -> Result<Vec<String>, StoreError> {
    let aliases = txn.open_table(ALIASES).map_err(io)?;
    Ok(aliases_in(&aliases, machine_arn)?
        .into_iter()
        .filter(|alias| alias.routing.iter().any(|r| r.version_arn == version_arn))
        .map(|alias| alias.name)
        .collect())
}

/// Deletes every alias of `machine_arn` (its machine is being deleted).
pub(super) fn delete_aliases_of(txn: &WriteTransaction, machine_arn: &str) -> Result<(), StoreError> {
    let mut aliases = txn.open_table(ALIASES).map_err(io)?;
    for alias in aliases_in(&aliases, machine_arn)? {
        aliases.remove((machine_arn, alias.name.as_str())).map_err(io)?;
    }
    Ok(())
}

/// The aliases of `machine_arn` in `table` (its keys start with the
/// machine's ARN), by name.
fn aliases_in(
    table: &impl ReadableTable<(&'static str, &'static str), &'static str>,
    machine_arn: &str,
) -> Result<Vec<AliasRecord>, StoreError> {
    let mut out = Vec::new();
    for entry in table.range((machine_arn, "")..).map_err(io)? {
        let (k, v) = entry.map_err(io)?;
        let (machine, name) = k.value();
        if machine != machine_arn {
            break;
        }
        out.push(decode("alias", name, v.value())?);
    }
    Ok(out)
}
