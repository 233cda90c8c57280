//! Everything a state's expressions can see while it runs: its input, the
//! context object (`$$` / `$states.context`) and the variables in scope.

use std::borrow::Cow;
use std::sync::OnceLock;

use serde_json::{Map, Value, json};
use stepyard_jsonata::{Env, Variables};

use super::Execution;
use super::error::{Failure, names};
use super::scope::Scope;
use stepyard_asl::definition::State;
use stepyard_asl::intrinsics::PathResolver;
use stepyard_asl::jsonata_template::{JsonataTemplate, QueryFailure};
use stepyard_asl::jsonpath::{JsonPath, PathError, PathRoot};

/// One state's run: where it was entered and what its expressions see.
pub(crate) struct Frame<'a> {
    pub exec: &'a Execution<'a>,
    pub state: &'a State,
    pub scope: &'a Scope<'a>,
    /// Id of the `…StateEntered` event (AWS cites it in error causes).
    pub entered_id: u64,
    /// The event `…StateEntered` followed.
    pub entered_previous: u64,
    pub entered_at: chrono::DateTime<chrono::Utc>,
    pub retry_count: u32,
    /// Which retriers this entry used (test coverage).
    pub retry_trace: crate::outcomes::RetryTrace,
    /// The Choice rule taken (`Some(None)`: `Default`).
    pub choice_taken: Option<Option<usize>>,
    /// An upper bound of the state input's serialised size, when known; it
    /// lets the payload limit be checked without walking the whole output.
    pub input_bound: Option<usize>,
    /// `$$.Task.Token`, for `.waitForTaskToken` integrations.
    pub task_token: Option<String>,
    /// How many times this state was entered before in its branch or
    /// iteration (0 at the top level, where event ids identify entries).
    pub visit: u32,
    context: OnceLock<Value>,
}

/// Lays `overlay`'s fields over `base`, merging objects and replacing the rest.
fn lay_over(base: &mut Value, overlay: &Value) {
    match (base, overlay) {
        (Value::Object(base), Value::Object(overlay)) => {
            for (k, v) in overlay {
                match base.get_mut(k) {
                    Some(existing) => lay_over(existing, v),
                    None => {
                        base.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (base, overlay) => *base = overlay.clone(),
    }
}

impl<'a> Frame<'a> {
    /// Shows `value` at `stage` of this state's data flow to the inspector, if any.
    pub(crate) fn inspect(&self, stage: super::Stage, value: &Value) {
        if let Some(inspector) = self.exec.inspector {
            inspector.stage(&self.state.name, stage, value);
        }
    }

    pub(crate) fn new(
        exec: &'a Execution<'a>,
        state: &'a State,
        scope: &'a Scope<'a>,
        entered_id: u64,
        entered_previous: u64,
        entered_at: chrono::DateTime<chrono::Utc>,
    ) -> Frame<'a> {
        Frame {
            exec,
            state,
            scope,
            entered_id,
            entered_previous,
            entered_at,
            retry_count: 0,
            retry_trace: Default::default(),
            choice_taken: None,
            input_bound: None,
            task_token: None,
            visit: 0,
            context: OnceLock::new(),
        }
    }

    /// Asks the state's `Retry` rules about `failure`: the wait before
    /// the next attempt, or `None` when the failure goes on. Another
    /// attempt changes `$$.State.RetryCount`.
    pub(crate) fn next_retry(
        &mut self,
        retry: &mut crate::retry::RetryState,
        failure: &Failure,
    ) -> Option<std::time::Duration> {
        let delay = retry.next_delay(&self.state.retry, failure);
        self.retry_trace = retry.trace;
        if delay.is_some() {
            self.retry_count = retry.total;
            self.context = OnceLock::new();
        }
        delay
    }

    /// The context object, built on first use.
    pub(crate) fn context(&self) -> &Value {
        self.context.get_or_init(|| self.build_context(None))
    }

    /// The context object with `Map.Item` set, for a Map state's `ItemSelector`.
    pub(crate) fn context_for_item(&self, index: usize, value: &Value) -> Value {
        self.build_context(Some((index, value)))
    }

    fn build_context(&self, item: Option<(usize, &Value)>) -> Value {
        let spec = self.exec.spec;
        let mut execution = json!({
            "Id": spec.execution_arn,
            "Input": spec.input,
            "Name": spec.execution_name,
            "RoleArn": spec.role_arn,
            "StartTime": self.exec.start_time,
        });
        if !spec.express {
            execution["RedriveCount"] = json!(spec.redrive_count);
        }
        let entered = stepyard_asl::timestamp::format_millis(self.entered_at);
        let mut state = json!({"EnteredTime": entered, "Name": self.state.name});
        if matches!(self.state.kind, stepyard_asl::definition::StateKind::Task(_)) {
            state["RetryCount"] = json!(self.retry_count);
        }
        let mut ctx = json!({
            "Execution": execution,
            "State": state,
            "StateMachine": {"Id": spec.state_machine_arn, "Name": spec.state_machine_name},
        });
        if let Some(token) = &self.task_token {
            ctx["Task"] = json!({"Token": token});
        }
        if let Some((index, value)) = item {
            ctx["Map"] = json!({"Item": {"Index": index, "Value": value}});
        }
        if let Some(overlay) = &spec.context_overlay {
            lay_over(&mut ctx, overlay);
        }
        ctx
    }

    /// This state entry's place in the execution, the same when it runs
    /// again after a restart: its entered event id at the top level (ids
    /// continue from the checkpoint), else its branch's lineage, the state
    /// and the visit (event ids interleave between concurrent branches).
    pub(crate) fn lineage(&self) -> String {
        match self.scope.lineage() {
            None => self.entered_id.to_string(),
            Some(branch) => format!("{branch}/{}#{}", self.state.name, self.visit),
        }
    }

    /// The idempotency key a task call gets: stable across retries and
    /// across a resume after a restart.
    pub(crate) fn idempotency_key(&self) -> String {
        format!("{}#{}", self.exec.spec.execution_arn, self.lineage())
    }

    /// AWS's prefix for errors the interpreter raises about a state.
    pub(crate) fn cause_prefix(&self) -> String {
        format!(
            "An error occurred while executing the state '{}' (entered at the event id #{}).",
            self.state.name, self.entered_id
        )
    }

    /// A `States.Runtime` failure about this state.
    pub(crate) fn runtime(&self, detail: impl AsRef<str>) -> Failure {
        Failure::new(names::RUNTIME, format!("{} {}", self.cause_prefix(), detail.as_ref()))
    }

    /// A `States.QueryEvaluationError` failure about this state, not about
    /// one of its fields.
    pub(crate) fn query_error(&self, detail: impl AsRef<str>) -> Failure {
        let mut f = Failure::new(
            names::QUERY_EVALUATION_ERROR,
            format!("{} {}", self.cause_prefix(), detail.as_ref()),
        );
        f.evaluation = true;
        f
    }

    /// A `States.QueryEvaluationError` failure about the value of `field`
    /// (`Items`, `Output/a/0`), which AWS records as the failure's location.
    pub(crate) fn field_error(&self, field: &str, detail: impl AsRef<str>) -> Failure {
        let mut f = self.query_error(detail);
        f.location = Some(field.to_owned());
        f
    }

    /// A resolver for JSONPath expressions over `input`.
    pub(crate) fn resolver<'r>(&'r self, input: &'r Value) -> Resolver<'r> {
        Resolver {
            frame: self,
            input,
            context: None,
        }
    }

    /// Evaluates a JSONPath (`$`, `$$`, `$var`) against `input`.
    pub(crate) fn select<'r>(&'r self, path: &JsonPath, input: &'r Value) -> Result<Cow<'r, Value>, PathError> {
        self.select_with(path, input, None)
    }

    fn select_with<'r>(
        &'r self,
        path: &JsonPath,
        input: &'r Value,
        context: Option<&'r Value>,
    ) -> Result<Cow<'r, Value>, PathError> {
        match path.root() {
            PathRoot::Input => path.select(input),
            PathRoot::Context => path.select(context.unwrap_or_else(|| self.context())),
            PathRoot::Variable(name) => match self.scope.get(name) {
                Some(v) => path.select(v),
                None => Err(undefined_variable(path)),
            },
        }
    }

    /// The `$states` variable for a JSONata evaluation.
    pub(crate) fn states_var(&self, input: &Value, result: Option<&Value>, error_output: Option<&Value>) -> Value {
        let mut m = Map::with_capacity(4);
        m.insert("input".into(), input.clone());
        m.insert("context".into(), self.context().clone());
        if let Some(r) = result {
            m.insert("result".into(), r.clone());
        }
        if let Some(e) = error_output {
            m.insert("errorOutput".into(), e.clone());
        }
        Value::Object(m)
    }

    /// Evaluates a JSONata template with `$states` bound to `states`.
    pub(crate) fn jsonata(&self, template: &JsonataTemplate, states: &Value, field: &str) -> Result<Value, Failure> {
        let vars = JsonataVariables {
            states,
            scope: self.scope,
        };
        let now = self.exec.clock.now().timestamp_millis();
        let env = Env::new()
            .with_variables(&vars)
            .aws_functions(true)
            .now_millis(now)
            .uuid_source(stepyard_asl::ids::random_uuid_text);
        let input = states.get("input").unwrap_or(&Value::Null);
        template
            .evaluate(input, &env, field)
            .map_err(|f| self.query_failure(&f))
    }

    pub(crate) fn query_failure(&self, failure: &QueryFailure) -> Failure {
        self.field_error(failure.field(), failure.describe())
    }
}

impl Frame<'_> {
    /// Gives a `.waitForTaskToken` Task its token, once its place is known.
    /// The token derives from the state entry (as its idempotency key does),
    /// so an execution resumed after a restart waits for the same token;
    /// keyed by the execution's `task_token_key`, so that knowing the ARN
    /// is not enough to answer a task.
    pub(crate) fn assign_task_token(&mut self) {
        use stepyard_asl::definition::{IntegrationPattern, ResourceKind};
        let stepyard_asl::definition::StateKind::Task(task) = &self.state.kind else {
            return;
        };
        if let ResourceKind::Service {
            pattern: IntegrationPattern::WaitForTaskToken,
            ..
        } = task.kind
        {
            let entry = self.idempotency_key();
            let digest = task_token_digest(self.exec.spec.task_token_key.as_deref(), entry.as_bytes());
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            self.task_token = Some(hex);
        }
    }
}

/// HMAC-SHA256 of `entry` under `key`, or its plain SHA-256 without one.
fn task_token_digest(key: Option<&[u8]>, entry: &[u8]) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    use sha2::Digest;
    match key {
        Some(key) => {
            // HMAC takes a key of any length: this cannot fail.
            let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
            mac.update(entry);
            mac.finalize().into_bytes().into()
        }
        None => sha2::Sha256::digest(entry).into(),
    }
}

/// Resolves JSONPath roots for a state.
pub(crate) struct Resolver<'r> {
    frame: &'r Frame<'r>,
    input: &'r Value,
    context: Option<&'r Value>,
}

impl<'r> Resolver<'r> {
    /// Uses `context` for `$$` instead of the state's context object.
    pub(crate) fn with_context(mut self, context: &'r Value) -> Self {
        self.context = Some(context);
        self
    }
}

impl PathResolver for Resolver<'_> {
    fn resolve<'a>(&'a self, path: &JsonPath) -> Result<Cow<'a, Value>, PathError> {
        self.frame.select_with(path, self.input, self.context)
    }
}

fn undefined_variable(path: &JsonPath) -> PathError {
    let name = match path.root() {
        PathRoot::Variable(name) => name.clone(),
        _ => String::new(),
    };
    PathError::UndefinedVariable {
        path: path.as_str().to_owned(),
        name,
    }
}

/// `$states` plus the workflow variables, for JSONata.
struct JsonataVariables<'v> {
    states: &'v Value,
    scope: &'v Scope<'v>,
}

impl Variables for JsonataVariables<'_> {
    fn get(&self, name: &str) -> Option<&Value> {
        if name == "states" {
            Some(self.states)
        } else {
            self.scope.get(name)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::task_token_digest;

    #[test]
    fn a_task_token_depends_on_the_key_and_the_entry() {
        let entry = b"arn:aws:states:us-east-1:123456789012:execution:m:e#2";
        let keyed = task_token_digest(Some(b"secret one"), entry);
        assert_eq!(keyed, task_token_digest(Some(b"secret one"), entry));
        assert_ne!(keyed, task_token_digest(Some(b"secret two"), entry));
        assert_ne!(keyed, task_token_digest(Some(b"secret one"), b"another entry#2"));
        assert_ne!(keyed, task_token_digest(None, entry));
    }
}
