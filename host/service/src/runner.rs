//! Running executions: launched on the tokio runtime with a durable
//! journal, concluded in the store, resumed from their checkpoints when the
//! service starts again.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::task::AbortHandle;

use super::journal::{DurableJournal, ExecutionLogging, StartWatch};
use super::logging::Logging;
use super::{Service, ServiceError, ServiceResult};
use stepyard_asl::definition::StateMachine;
use stepyard_interpreter::history::{HistoryObserver, NoHistory};
use stepyard_interpreter::{
    Checkpoint, ExecutionResult, ExecutionSpec, Interpreter, Interrupted, Outcome, Services, Start, StateEnd, StateEnds,
};
use stepyard_metrics::{Metrics, StateOutcome};
use stepyard_store::{ExecutionEnd, ExecutionRecord, StoreError};

/// A checkpoint as stored: the interpreter's, plus, after a redrive whose
/// re-entered state has not checkpointed yet, the event to re-enter after.
#[derive(Serialize, Deserialize)]
pub(super) struct StoredCheckpoint {
    #[serde(flatten)]
    pub checkpoint: Checkpoint,
    #[serde(default, rename = "reenterAfter", skip_serializing_if = "Option::is_none")]
    pub reenter_after: Option<u64>,
}

pub(super) fn damaged(arn: &str, e: impl std::fmt::Display) -> ServiceError {
    ServiceError::from(StoreError::Io(format!("the checkpoint of {arn} is damaged: {e}")))
}

/// An execution running in this process.
pub(super) struct Running {
    pub abort: AbortHandle,
    pub journal: Arc<DurableJournal>,
    /// Its input and state machine: a StartExecution of the same name is
    /// the same request only with both the same.
    pub input: String,
    pub machine_arn: String,
    /// Counts it among the executions running here while it is kept.
    pub _gauge: Option<RunningGauge>,
}

/// One execution in the running gauge; leaves it when dropped (the
/// execution ended, was stopped, or the server is shutting down).
pub(super) struct RunningGauge {
    metrics: Arc<Metrics>,
    machine: String,
}

impl Drop for RunningGauge {
    fn drop(&mut self) {
        self.metrics.execution_stopped_here(&self.machine);
    }
}

/// Reports a machine's state ends to the metrics.
struct StateMetrics {
    metrics: Arc<Metrics>,
    machine: String,
}

impl StateEnds for StateMetrics {
    fn state_ended(&self, ended: &StateEnd<'_>) {
        let outcome = match ended.outcome {
            Outcome::Succeeded => StateOutcome::Succeeded,
            Outcome::CaughtError => StateOutcome::CaughtError,
            Outcome::Failed => StateOutcome::Failed,
        };
        self.metrics.state_ended(
            &self.machine,
            ended.name,
            ended.state_type,
            outcome,
            ended.duration,
            ended.retries,
        );
    }
}

pub(super) fn status_of(result: &ExecutionResult) -> &'static str {
    result.status.as_str()
}

impl Service {
    /// The parsed definition an execution runs (shared per revision).
    pub(super) fn machine_for(&self, record: &ExecutionRecord) -> Result<Arc<StateMachine>, String> {
        let key = format!("{}#{}", record.revision_id, record.version_arn.as_deref().unwrap_or(""));
        if let Some(m) = self.parsed.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return Ok(m.clone());
        }
        let machine = Arc::new(StateMachine::parse(&record.definition).map_err(|e| e.aws_message())?);
        self.parsed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, machine.clone());
        Ok(machine)
    }

    pub(super) fn spec_for(&self, record: &ExecutionRecord) -> ExecutionSpec {
        let input = serde_json::from_str(&record.input).unwrap_or(Value::Null);
        // A redriven execution's timeout counts from the redrive.
        let origin = record.redrive_millis.unwrap_or(record.start_millis);
        ExecutionSpec {
            execution_arn: record.arn.clone(),
            execution_name: record.name.clone(),
            state_machine_arn: record.state_machine_arn.clone(),
            state_machine_name: record.machine_name.clone(),
            role_arn: record.role_arn.clone(),
            input,
            express: false,
            start_time: chrono::DateTime::from_timestamp_millis(origin),
            redrive_count: record.redrive_count,
            task_token_key: Some(self.store.task_token_key()),
            context_overlay: None,
        }
    }

    /// Starts running a stored execution, `record`, from `start` on the
    /// current runtime.
    pub(super) fn launch(
        self: &Arc<Self>,
        record: ExecutionRecord,
        start: Start,
        last_event_id: u64,
        stored_checkpoint: Option<String>,
    ) {
        let journal = Arc::new(DurableJournal::new(
            self.store.clone(),
            record.seq,
            record.start_millis,
            last_event_id,
            stored_checkpoint,
        ));
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        self.spawn_run(&mut running, record, start, journal, false);
    }

    /// Starts running a new execution (`record`, with its seq), stored
    /// with its first checkpoint: the watch tells when (and whether) it
    /// was. When an execution of that ARN runs here already, nothing
    /// starts: `Err` holds that one's watch, input and state machine.
    pub(super) fn launch_new(
        self: &Arc<Self>,
        record: ExecutionRecord,
        observer: Option<Arc<dyn HistoryObserver>>,
    ) -> Result<StartWatch, (StartWatch, String, String)> {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(other) = running.get(&record.arn) {
            return Err((
                other.journal.start_watch(),
                other.input.clone(),
                other.machine_arn.clone(),
            ));
        }
        let journal = Arc::new(DurableJournal::starting(self.store.clone(), record.clone()));
        if let Some(observer) = observer {
            journal.also_tell(observer);
        }
        let watch = journal.start_watch();
        self.spawn_run(&mut running, record, Start::Fresh, journal, true);
        Ok(watch)
    }

    fn spawn_run(
        self: &Arc<Self>,
        running: &mut HashMap<String, Running>,
        record: ExecutionRecord,
        start: Start,
        journal: Arc<DurableJournal>,
        fresh: bool,
    ) {
        let gauge = self.metrics.as_ref().map(|metrics| {
            if fresh {
                metrics.execution_started(&record.machine_name);
            } else {
                metrics.execution_resumed(&record.machine_name);
            }
            RunningGauge {
                metrics: metrics.clone(),
                machine: record.machine_name.clone(),
            }
        });
        let state_metrics = self.metrics.as_ref().map(|metrics| {
            Arc::new(StateMetrics {
                metrics: metrics.clone(),
                machine: record.machine_name.clone(),
            }) as Arc<dyn StateEnds>
        });
        // The plugins as they are now, when the execution is accepted: it
        // keeps them even if the folder changes before its first task.
        let tasks = self.tasks_for_record(&record);
        let this = self.clone();
        let arn = record.arn.clone();
        let (input, machine_arn) = (record.input.clone(), record.state_machine_arn.clone());
        if let Some(logging) = self
            .store
            .state_machine(&record.state_machine_arn)
            .ok()
            .flatten()
            .and_then(|m| Logging::active(m.logging_configuration.as_ref()))
        {
            journal.set_logging(ExecutionLogging {
                logging,
                execution_arn: record.arn.clone(),
                redrive_count: record.redrive_count,
            });
        }
        if fresh {
            self.tell_status(&record, None);
        }
        let task_journal = journal.clone();
        let task = tokio::spawn(async move {
            let outcome = match this.machine_for(&record) {
                Ok(machine) => {
                    let services = Services {
                        tasks,
                        clock: this.clock.clone(),
                        history: task_journal.clone(),
                    };
                    let mut interpreter = Interpreter::new(machine, services);
                    if let Some(listener) = state_metrics {
                        interpreter = interpreter.with_state_ends(listener);
                    }
                    let spec = this.spec_for(&record);
                    interpreter.run(&spec, start, Some(&*task_journal)).await
                }
                Err(message) => Ok(ExecutionResult {
                    status: stepyard_interpreter::ExecutionStatus::Failed,
                    output: None,
                    error: Some("States.Runtime".into()),
                    cause: Some(message),
                }),
            };
            this.conclude(&record, &task_journal, outcome).await;
            task_journal.end_live();
        });
        running.insert(
            arn,
            Running {
                abort: task.abort_handle(),
                journal,
                input,
                machine_arn,
                _gauge: gauge,
            },
        );
    }

    /// Stores how an execution ended.
    async fn conclude(
        &self,
        record: &ExecutionRecord,
        journal: &DurableJournal,
        outcome: Result<ExecutionResult, Interrupted>,
    ) {
        let arn = record.arn.as_str();
        let forget = || {
            self.running.lock().unwrap_or_else(|e| e.into_inner()).remove(arn);
        };
        let started = match &outcome {
            Ok(_) => journal.ensure_started().await,
            Err(_) => Ok(()),
        };
        if journal.refused() {
            // Another execution has this ARN, or the start could not be
            // stored (StartExecution said so): this run leaves no trace.
            forget();
            return;
        }
        if let Err(e) = started {
            eprintln!("stepyard: execution {arn} could not be saved: {e}; it resumes when the server starts again");
            forget();
            return;
        }
        let result = match outcome {
            Ok(result) => result,
            Err(interrupted) => {
                eprintln!("stepyard: execution {arn} paused: {interrupted}; it resumes when the server starts again");
                self.running.lock().unwrap_or_else(|e| e.into_inner()).remove(arn);
                return;
            }
        };
        let end = ExecutionEnd {
            status: status_of(&result).to_owned(),
            stop_millis: self.now_millis(),
            output: result.output.as_ref().map(Value::to_string),
            error: result.error.clone(),
            cause: result.cause.clone(),
        };
        if let Some(metrics) = &self.metrics {
            let ran = (end.stop_millis - record.start_millis).max(0) as u64;
            metrics.execution_ended(&record.machine_name, &end.status, std::time::Duration::from_millis(ran));
        }
        let events = journal.take_pending();
        let told = self.listener.is_some().then(|| end.clone());
        match self.store.finish_running_execution(record, events, end).await {
            Ok(_) => {
                if let Some(end) = told {
                    self.tell_status(record, Some(&end));
                }
            }
            Err(e) => eprintln!(
                "stepyard: execution {arn} ended but could not be saved: {e}; it resumes when the server starts again"
            ),
        }
        self.running.lock().unwrap_or_else(|e| e.into_inner()).remove(arn);
    }

    /// Resumes every execution the store has as running (after a restart).
    /// Returns how many.
    pub async fn resume_all(self: &Arc<Self>) -> ServiceResult<usize> {
        let running = self.store.running_executions()?;
        let count = running.len();
        for record in running {
            let text = self.store.checkpoint_of(&record.arn)?;
            let stored = match &text {
                Some(text) => {
                    Some(serde_json::from_str::<StoredCheckpoint>(text).map_err(|e| damaged(&record.arn, e))?)
                }
                None => None,
            };
            // Everything after the checkpoint is redone; with no checkpoint
            // the execution starts over.
            let (start, keep) = match stored {
                Some(StoredCheckpoint {
                    checkpoint,
                    reenter_after: Some(last_event_id),
                }) => (
                    Start::Reenter {
                        checkpoint,
                        last_event_id,
                    },
                    last_event_id,
                ),
                Some(StoredCheckpoint { checkpoint, .. }) => {
                    let keep = checkpoint.entered_event_id;
                    (Start::Resume(checkpoint), keep)
                }
                None => (Start::Fresh, 0),
            };
            self.store.discard_events_after(&record.arn, keep).await?;
            self.launch(record, start, keep, text);
        }
        Ok(count)
    }

    /// Stops every running execution in this process without ending them
    /// in the store (they resume at the next start).
    pub fn suspend_all(&self) {
        for (_, running) in self.running.lock().unwrap_or_else(|e| e.into_inner()).drain() {
            running.abort.abort();
        }
    }

    /// How many executions run in this process.
    pub fn running_count(&self) -> usize {
        self.running.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub(super) fn run_express(self: &Arc<Self>, record: ExecutionRecord) {
        let this = self.clone();
        tokio::spawn(async move {
            if let Ok(machine) = this.machine_for(&record) {
                let services = Services {
                    tasks: this.tasks_for_record(&record),
                    clock: this.clock.clone(),
                    history: Arc::new(NoHistory),
                };
                let mut spec = this.spec_for(&record);
                spec.express = true;
                Interpreter::new(machine, services).execute(&spec).await;
            }
        });
    }
}
