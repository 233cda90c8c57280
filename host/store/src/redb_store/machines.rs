//! State machines and their published versions in the database file.
//! Reads of a machine go through the machine cache (StartExecution reads
//! one per request); every write of a machine empties it.

use redb::{ReadableTable, TableDefinition};

use super::executions::{decode, encode, get_doc};
use super::{RedbStore, io, read_table};
use crate::StoreError;
use crate::records::*;

pub(super) const MACHINES: TableDefinition<&str, &str> = TableDefinition::new("state_machines");
pub(super) const VERSIONS: TableDefinition<(&str, u64), &str> = TableDefinition::new("state_machine_versions");

impl RedbStore {
    /// Writes state machines (or versions) with `apply`, then empties the
    /// machine cache once the batch has committed: also when the answer
    /// came first (an audited call's write), so that a read in between
    /// cannot refill it with the old record.
    async fn write_machines<R: Send + 'static>(
        &self,
        apply: impl FnOnce(&redb::WriteTransaction) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, StoreError> {
        let cache = self.machines.clone();
        self.committer.write_async_then(apply, move || cache.invalidate()).await
    }

    /// The state machine at `arn`.
    pub fn state_machine(&self, arn: &str) -> Result<Option<StateMachineRecord>, StoreError> {
        if let Some(cached) = self.machines.get(arn) {
            return Ok(Some(cached));
        }
        let generation = self.machines.generation();
        let read = self.begin_read()?;
        let Some(table) = read_table(&read, MACHINES)? else {
            return Ok(None);
        };
        let found = table.get(arn).map_err(io)?;
        let record = found
            .map(|g| decode::<StateMachineRecord>("state machine", arn, g.value()))
            .transpose()?;
        if let Some(record) = &record {
            self.machines.insert(generation, arn, record);
        }
        Ok(record)
    }

    /// Every state machine, by ARN.
    pub fn state_machines(&self) -> Result<Vec<StateMachineRecord>, StoreError> {
        let read = self.begin_read()?;
        let Some(table) = read_table(&read, MACHINES)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for entry in table.iter().map_err(io)? {
            let (k, v) = entry.map_err(io)?;
            out.push(decode("state machine", k.value(), v.value())?);
        }
        Ok(out)
    }

    /// Stores a new state machine, unless one exists at its ARN: then
    /// nothing is written and the existing one is returned.
    pub async fn create_state_machine(
        &self,
        record: StateMachineRecord,
    ) -> Result<Option<StateMachineRecord>, StoreError> {
        let text = encode(&record)?;
        self.write_machines(move |txn| {
            if let Some(existing) = get_doc(txn, MACHINES, "state machine", &record.arn)? {
                return Ok(Some(existing));
            }
            let mut table = txn.open_table(MACHINES).map_err(io)?;
            table.insert(record.arn.as_str(), text.as_str()).map_err(io)?;
            Ok(None)
        })
        .await
    }

    /// Changes a stored state machine with `change`, atomically. `None` if
    /// there is none at `arn`; `change`'s error leaves it as it was.
    pub async fn update_state_machine<R: Send + 'static>(
        &self,
        arn: &str,
        change: impl FnOnce(&mut StateMachineRecord) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<Option<(StateMachineRecord, R)>, StoreError> {
        let arn = arn.to_owned();
        self.write_machines(move |txn| {
            let Some(mut record) = get_doc::<StateMachineRecord>(txn, MACHINES, "state machine", &arn)? else {
                return Ok(None);
            };
            let result = change(&mut record)?;
            let text = encode(&record)?;
            let mut table = txn.open_table(MACHINES).map_err(io)?;
            table.insert(arn.as_str(), text.as_str()).map_err(io)?;
            Ok(Some((record, result)))
        })
        .await
    }

    /// Deletes a state machine, its versions and aliases (executions stay).
    pub async fn delete_state_machine(&self, arn: &str) -> Result<bool, StoreError> {
        let arn = arn.to_owned();
        self.write_machines(move |txn| {
            let existed = txn
                .open_table(MACHINES)
                .map_err(io)?
                .remove(arn.as_str())
                .map_err(io)?
                .is_some();
            let mut versions = txn.open_table(VERSIONS).map_err(io)?;
            let keys: Vec<u64> = versions
                .range((arn.as_str(), 0)..=(arn.as_str(), u64::MAX))
                .map_err(io)?
                .map(|e| e.map(|(k, _)| k.value().1))
                .collect::<Result<_, _>>()
                .map_err(io)?;
            for v in keys {
                versions.remove((arn.as_str(), v)).map_err(io)?;
            }
            super::aliases::delete_aliases_of(txn, &arn)?;
            Ok(existed)
        })
        .await
    }

    /// Publishes the machine's current revision as a version, or returns the
    /// newest version when it already holds this revision. `make` builds the
    /// record from the machine and the version number. `None`: no machine.
    pub async fn publish_version(
        &self,
        arn: &str,
        make: impl FnOnce(&StateMachineRecord, u64) -> Result<VersionRecord, StoreError> + Send + 'static,
    ) -> Result<Option<VersionRecord>, StoreError> {
        let arn = arn.to_owned();
        self.write_machines(move |txn| {
            let Some(mut machine) = get_doc::<StateMachineRecord>(txn, MACHINES, "state machine", &arn)? else {
                return Ok(None);
            };
            let latest = {
                let versions = txn.open_table(VERSIONS).map_err(io)?;
                let last = versions
                    .range((arn.as_str(), 0)..=(arn.as_str(), u64::MAX))
                    .map_err(io)?
                    .next_back()
                    .transpose()
                    .map_err(io)?;
                last.map(|(_, v)| decode::<VersionRecord>("version", &arn, v.value()))
                    .transpose()?
            };
            if let Some(latest) = latest.filter(|v| v.revision_id == machine.revision_id) {
                return Ok(Some(latest));
            }
            let version = machine.next_version;
            let record = make(&machine, version)?;
            machine.next_version += 1;
            let machine_text = encode(&machine)?;
            let version_text = encode(&record)?;
            txn.open_table(MACHINES)
                .map_err(io)?
                .insert(arn.as_str(), machine_text.as_str())
                .map_err(io)?;
            txn.open_table(VERSIONS)
                .map_err(io)?
                .insert((arn.as_str(), version), version_text.as_str())
                .map_err(io)?;
            Ok(Some(record))
        })
        .await
    }

    /// Version `version` of the machine at `arn`.
    pub fn version(&self, arn: &str, version: u64) -> Result<Option<VersionRecord>, StoreError> {
        let read = self.begin_read()?;
        let Some(table) = read_table(&read, VERSIONS)? else {
            return Ok(None);
        };
        let found = table.get((arn, version)).map_err(io)?;
        found.map(|g| decode("version", arn, g.value())).transpose()
    }

    /// Every version of the machine at `arn`, newest first.
    pub fn versions_of(&self, arn: &str) -> Result<Vec<VersionRecord>, StoreError> {
        let read = self.begin_read()?;
        let Some(table) = read_table(&read, VERSIONS)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for entry in table.range((arn, 0)..=(arn, u64::MAX)).map_err(io)?.rev() {
            let (_, v) = entry.map_err(io)?;
            out.push(decode("version", arn, v.value())?);
        }
        Ok(out)
    }

    /// Deletes one version; false if there was none. A version an alias
    /// routes to stays: `ConditionFailed` names the aliases.
    pub async fn delete_version(&self, arn: &str, version: u64) -> Result<bool, StoreError> {
        let arn = arn.to_owned();
        self.committer
            .write_async(move |txn| {
                let version_arn = format!("{arn}:{version}");
                let routing = super::aliases::aliases_routing_to(txn, &arn, &version_arn)?;
                if !routing.is_empty() {
                    return Err(StoreError::ConditionFailed(format!(
                        "Version to be deleted must not be referenced by an alias. Current list of aliases referencing this version: [{}]",
                        routing.join(", ")
                    )));
                }
                let removed = txn
                    .open_table(VERSIONS)
                    .map_err(io)?
                    .remove((arn.as_str(), version))
                    .map_err(io)?
                    .is_some();
                Ok(removed)
            })
            .await
    }
}
