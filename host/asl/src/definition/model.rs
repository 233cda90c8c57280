//! The typed model of a validated ASL definition.
//!
//! Every value here has been checked by the parser: state transitions are
//! resolved to indexes, paths and expressions are compiled, and fields that a
//! query language does not allow are absent. The interpreter only ever sees
//! this model, never raw JSON.

use serde_json::Value;

use crate::intrinsics::IntrinsicCall;
use crate::jsonata_template::JsonataTemplate;
use crate::jsonpath::{JsonPath, ReferencePath};
use crate::payload::PayloadTemplate;

/// A whole state machine: the top-level graph plus machine-wide settings.
#[derive(Debug)]
pub struct StateMachine {
    /// `Comment`: free text about the machine; no effect on execution.
    pub comment: Option<String>,
    /// `Version`: the ASL version the definition claims (`1.0`); not checked.
    pub version: Option<String>,
    /// `TimeoutSeconds` of the whole execution.
    pub timeout_seconds: Option<u64>,
    /// `QueryLanguage`: the default for every state (`JSONPath` when absent).
    pub query_language: QueryLanguage,
    /// The top-level `StartAt` and `States`.
    pub graph: Graph,
    /// The definition as the user wrote it (for `$$.StateMachine` and the API).
    pub source: Value,
}

/// The two query languages a state can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueryLanguage {
    /// `JSONPath` (the default): `InputPath`, `Parameters`, `ResultPath`… and intrinsics.
    #[default]
    JsonPath,
    /// `JSONata`: `Arguments`, `Output` and `{% … %}` expressions over `$states`.
    Jsonata,
}

impl QueryLanguage {
    /// The name as ASL spells it in `QueryLanguage` (`JSONPath`, `JSONata`).
    pub fn as_str(self) -> &'static str {
        match self {
            QueryLanguage::JsonPath => "JSONPath",
            QueryLanguage::Jsonata => "JSONata",
        }
    }
}

/// Index of a state inside its [`Graph`].
pub type StateIndex = usize;

/// A set of states with a start: the machine itself, a Parallel branch or a
/// Map item processor.
#[derive(Debug)]
pub struct Graph {
    /// `StartAt`: the first state to run.
    pub start_at: StateIndex,
    /// `States`, in the order the definition lists them; a [`StateIndex`] points into it.
    pub states: Vec<State>,
}

impl Graph {
    pub(crate) fn new(start_at: StateIndex, states: Vec<State>) -> Graph {
        Graph { start_at, states }
    }

    /// The state `StartAt` names.
    pub fn start(&self) -> &State {
        &self.states[self.start_at]
    }
}

/// One state, with the fields every type shares.
#[derive(Debug)]
pub struct State {
    /// The state's key in `States`; unique in the whole machine, not just its graph.
    pub name: String,
    /// `Comment`: free text about the state; no effect on execution.
    pub comment: Option<String>,
    /// The `QueryLanguage` in effect: the state's own, else the machine's.
    pub query_language: QueryLanguage,
    /// `Type`, with the fields only that type has.
    pub kind: StateKind,
    /// Where to go after success (absent for Choice, Succeed and Fail).
    pub transition: Transition,
    /// The input and output processing fields of `query_language`.
    pub io: DataFlow,
    /// `Assign`: workflow variables set once the state's work succeeds.
    pub assign: Option<Assign>,
    /// `Retry`: retriers, tried in order when the state fails (Task, Parallel, Map only).
    pub retry: Vec<Retrier>,
    /// `Catch`: fallbacks, tried in order once retries run out (Task, Parallel, Map only).
    pub catch: Vec<Catcher>,
}

impl State {
    /// The AWS name of the state type, used in history event names.
    pub fn type_name(&self) -> &'static str {
        self.kind.type_name()
    }
}

/// What follows a state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// `Next`: the state to run after this one.
    Next(StateIndex),
    /// `End: true`: the graph ends with this state's output.
    End,
    /// Choice decides for itself; Succeed and Fail end the graph.
    None,
}

/// The per-state data processing fields of the state's query language.
#[derive(Debug)]
pub enum DataFlow {
    /// A JSONPath state's `InputPath`, `Parameters`, `ResultSelector`, `ResultPath`…
    JsonPath(Box<JsonPathFlow>),
    /// A JSONata state's `Arguments` and `Output`.
    Jsonata(JsonataFlow),
}

/// `InputPath` → `Parameters` → (work) → `ResultSelector` → `ResultPath` → `OutputPath`.
#[derive(Debug, Default)]
pub struct JsonPathFlow {
    /// `InputPath`: selects the effective input from the state's raw input.
    pub input_path: OptionalPath,
    /// `Parameters`: a template building the input of the state's work.
    pub parameters: Option<PayloadTemplate>,
    /// `ResultSelector`: a template reshaping the work's result (Task, Parallel, Map only).
    pub result_selector: Option<PayloadTemplate>,
    /// `ResultPath`: where the result goes in the raw input.
    pub result_path: ResultPath,
    /// `OutputPath`: selects the state's output from the combined input and result.
    pub output_path: OptionalPath,
}

/// `Arguments` → (work) → `Output`.
#[derive(Debug, Default)]
pub struct JsonataFlow {
    /// `Arguments`: the input of the task or of every branch (Task and Parallel only).
    pub arguments: Option<JsonataTemplate>,
    /// `Output`: the state's output; absent, the result is passed on unchanged.
    pub output: Option<JsonataTemplate>,
}

/// `InputPath` or `OutputPath`: absent means `$`, `null` means `{}`.
#[derive(Debug, Default)]
pub enum OptionalPath {
    /// Field absent: the whole value (`$`).
    #[default]
    Whole,
    /// `null`: an empty object `{}` instead of the value.
    Null,
    /// A path selecting part of the value.
    Path(JsonPath),
}

/// `ResultPath`: absent means `$` (result replaces input), `null` discards the result.
#[derive(Debug, Default)]
pub enum ResultPath {
    /// Field absent: the result replaces the input.
    #[default]
    Whole,
    /// `null`: the result is discarded and the input passed on.
    Null,
    /// A reference path: where in the input the result is written.
    Path(ReferencePath),
}

/// `Assign` in the state's query language.
#[derive(Debug)]
pub enum Assign {
    /// A JSONPath state's `Assign`: a payload template (`"name.$": path`).
    JsonPath(PayloadTemplate),
    /// A JSONata state's `Assign`: values that may hold `{% … %}` expressions.
    Jsonata(JsonataTemplate),
}

/// A value that a JSONPath state gives literally or through a `…Path` field,
/// and a JSONata state gives literally or as an expression.
#[derive(Debug)]
pub enum Dynamic<T> {
    /// Written as a value (`"Seconds": 10`).
    Literal(T),
    /// A `…Path` field (`SecondsPath`), read from the state's input at run time.
    Path(JsonPath),
    /// An intrinsic function (only `ErrorPath` and `CausePath` take one).
    Intrinsic(IntrinsicCall),
    /// A JSONata state's `{% … %}` expression, evaluated at run time.
    Jsonata(JsonataTemplate),
}

/// The `Type` of a state, with the fields only that type has.
#[derive(Debug)]
pub enum StateKind {
    /// `Pass`: passes its input (or its `Result`) on, doing no work.
    Pass(PassState),
    /// `Task`: calls its `Resource`.
    Task(Box<TaskState>),
    /// `Choice`: picks the next state by the first of its rules that matches.
    Choice(ChoiceState),
    /// `Wait`: delays for some seconds or until a timestamp.
    Wait(WaitState),
    /// `Succeed`: ends its graph successfully.
    Succeed,
    /// `Fail`: ends its graph with an `Error` and a `Cause`.
    Fail(FailState),
    /// `Parallel`: runs every branch on the same input; its output is the array of theirs.
    Parallel(ParallelState),
    /// `Map`: runs the item processor once per item of an array.
    Map(Box<MapState>),
}

impl StateKind {
    /// The `Type` as ASL spells it (`Pass`, `Task`…).
    pub fn type_name(&self) -> &'static str {
        match self {
            StateKind::Pass(_) => "Pass",
            StateKind::Task(_) => "Task",
            StateKind::Choice(_) => "Choice",
            StateKind::Wait(_) => "Wait",
            StateKind::Succeed => "Succeed",
            StateKind::Fail(_) => "Fail",
            StateKind::Parallel(_) => "Parallel",
            StateKind::Map(_) => "Map",
        }
    }
}

/// A `Pass` state's own field.
#[derive(Debug)]
pub struct PassState {
    /// `Result`: a static value that replaces the (effective) input.
    pub result: Option<Value>,
}

/// A `Task` state's own fields.
#[derive(Debug)]
pub struct TaskState {
    /// `Resource`: the ARN (or bare Lambda name) of what the task calls.
    pub resource: String,
    /// How AWS treats `resource` (history events, output shape).
    pub kind: crate::definition::ResourceKind,
    /// `TimeoutSeconds` (or `…Path`): how long the task may run before `States.Timeout`.
    pub timeout_seconds: Option<Dynamic<u64>>,
    /// `HeartbeatSeconds` (or `…Path`): the longest silence between heartbeats allowed.
    pub heartbeat_seconds: Option<Dynamic<u64>>,
    /// `Credentials`: the role to assume for the call (`RoleArn`), as written.
    pub credentials: Option<Value>,
}

/// A `Choice` state's own fields.
#[derive(Debug)]
pub struct ChoiceState {
    /// `Choices`: the rules, tried in order; the first that matches decides.
    pub choices: Vec<ChoiceBranch>,
    /// `Default`: where to go when no rule matches; absent, `States.NoChoiceMatched`.
    pub default: Option<StateIndex>,
}

/// One entry of `Choices`: a rule and where it leads.
#[derive(Debug)]
pub struct ChoiceBranch {
    /// The test: a JSONPath comparison or combinator, or a JSONata `Condition`.
    pub rule: ChoiceRule,
    /// `Next`: the state to run when the rule matches.
    pub next: StateIndex,
    /// `Assign`: workflow variables set when this rule matches.
    pub assign: Option<Assign>,
    /// JSONata `Output` of the rule (replaces the state's `Output`).
    pub output: Option<JsonataTemplate>,
}

/// A boolean rule of a Choice state.
#[derive(Debug)]
pub enum ChoiceRule {
    /// `And`: every rule matches.
    And(Vec<ChoiceRule>),
    /// `Or`: at least one rule matches.
    Or(Vec<ChoiceRule>),
    /// `Not`: the rule does not match.
    Not(Box<ChoiceRule>),
    /// A data test on one `Variable`.
    Compare(Box<Compare>),
    /// JSONata `Condition`.
    Condition(JsonataTemplate),
}

/// A data test: the variable it reads and the comparison it makes.
#[derive(Debug)]
pub struct Compare {
    /// `Variable`: the path to the value tested.
    pub variable: JsonPath,
    /// The operator field and its operand.
    pub comparison: Comparison,
}

/// A data-test expression: the operator and its operand.
#[derive(Debug)]
pub struct Comparison {
    /// What the test checks.
    pub operator: Operator,
    /// What the variable is compared with.
    pub operand: Operand,
    /// The operator's field name as written (`NumericEqualsPath`...), for messages.
    pub field: &'static str,
}

/// The other side of a Choice comparison.
#[derive(Debug)]
pub enum Operand {
    /// A plain operator field's value (`"NumericEquals": 3`).
    Literal(Value),
    /// A `…Path` operator field's path (`"NumericEqualsPath": "$.limit"`), read at run time.
    Path(JsonPath),
}

/// A Choice comparison operator; a `…Path` field shares its plain form's operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    /// `StringEquals`: the string equals the operand.
    StringEquals,
    /// `StringLessThan`: the string sorts before the operand.
    StringLessThan,
    /// `StringGreaterThan`: the string sorts after the operand.
    StringGreaterThan,
    /// `StringLessThanEquals`: the string sorts before or equals the operand.
    StringLessThanEquals,
    /// `StringGreaterThanEquals`: the string sorts after or equals the operand.
    StringGreaterThanEquals,
    /// `StringMatches`: the string matches a pattern where `*` is a wildcard.
    StringMatches,
    /// `NumericEquals`: the number equals the operand.
    NumericEquals,
    /// `NumericLessThan`: the number is less than the operand.
    NumericLessThan,
    /// `NumericGreaterThan`: the number is greater than the operand.
    NumericGreaterThan,
    /// `NumericLessThanEquals`: the number is less than or equal to the operand.
    NumericLessThanEquals,
    /// `NumericGreaterThanEquals`: the number is greater than or equal to the operand.
    NumericGreaterThanEquals,
    /// `BooleanEquals`: the boolean equals the operand.
    BooleanEquals,
    /// `TimestampEquals`: the timestamp is the same instant as the operand.
    TimestampEquals,
    /// `TimestampLessThan`: the timestamp is earlier than the operand.
    TimestampLessThan,
    /// `TimestampGreaterThan`: the timestamp is later than the operand.
    TimestampGreaterThan,
    /// `TimestampLessThanEquals`: the timestamp is not later than the operand.
    TimestampLessThanEquals,
    /// `TimestampGreaterThanEquals`: the timestamp is not earlier than the operand.
    TimestampGreaterThanEquals,
    /// `IsNull`: whether the value is `null` matches the operand (`true`/`false`).
    IsNull,
    /// `IsPresent`: whether the variable's path selects anything matches the operand.
    IsPresent,
    /// `IsNumeric`: whether the value is a number matches the operand.
    IsNumeric,
    /// `IsString`: whether the value is a string matches the operand.
    IsString,
    /// `IsBoolean`: whether the value is a boolean matches the operand.
    IsBoolean,
    /// `IsTimestamp`: whether the value is an ISO-8601 timestamp string matches the operand.
    IsTimestamp,
}

/// A `Wait` state's delay: one of `Seconds`, `SecondsPath`, `Timestamp`, `TimestampPath`.
#[derive(Debug)]
pub enum WaitState {
    /// `Seconds` (or `SecondsPath`): how long to wait.
    Seconds(Dynamic<i64>),
    /// `Timestamp` (or `TimestampPath`): the ISO-8601 instant to wait until.
    Timestamp(Dynamic<String>),
}

/// A `Fail` state's own fields.
#[derive(Debug, Default)]
pub struct FailState {
    /// `Error` (or `ErrorPath`): the error name the graph fails with.
    pub error: Option<Dynamic<String>>,
    /// `Cause` (or `CausePath`): the human-readable reason.
    pub cause: Option<Dynamic<String>>,
}

/// A `Parallel` state's own field.
#[derive(Debug)]
pub struct ParallelState {
    /// `Branches`: graphs run concurrently, each on the state's input.
    pub branches: Vec<Graph>,
}

/// A `Map` state's own fields.
#[derive(Debug)]
pub struct MapState {
    /// Where the array to iterate over comes from.
    pub items: MapItems,
    /// `ItemSelector` (or the older `Parameters`): builds each iteration's input.
    pub item_selector: Option<ItemSelector>,
    /// `ItemProcessor` (or the older `Iterator`): the graph run once per item.
    pub processor: Box<Graph>,
    /// `ItemProcessor.ProcessorConfig.Mode`: inline or distributed.
    pub mode: ProcessorMode,
    /// `MaxConcurrency` (or `…Path`): iterations allowed at once; 0 means no limit.
    pub max_concurrency: Dynamic<u64>,
    /// `ToleratedFailureCount` (or `…Path`): failed iterations allowed before the Map fails.
    pub tolerated_failure_count: Option<Dynamic<u64>>,
    /// `ToleratedFailurePercentage` (or `…Path`): the percentage of iterations that may fail.
    pub tolerated_failure_percentage: Option<Dynamic<f64>>,
    /// `Label`: names the state in its Map Runs (distributed mode only).
    pub label: Option<String>,
    /// `ItemReader`: reading items from S3 needs an AWS service; kept to report it.
    pub item_reader: Option<Value>,
    /// `ItemBatcher`: groups items into batches (distributed mode only).
    pub item_batcher: Option<ItemBatcher>,
    /// `ResultWriter`: where a distributed Map exports its results; kept as written.
    pub result_writer: Option<Value>,
}

/// `ItemBatcher`: iterations receive batches `{"Items": […], "BatchInput": …}`.
#[derive(Debug)]
pub struct ItemBatcher {
    /// `MaxItemsPerBatch` (or `…Path`): the most items in one batch.
    pub max_items: Option<Dynamic<u64>>,
    /// `MaxInputBytesPerBatch` (or `…Path`): the largest batch in bytes (at most 256 KiB).
    pub max_bytes: Option<Dynamic<u64>>,
    /// `BatchInput`: a value added to every batch as its `BatchInput`.
    pub batch_input: Option<ItemSelector>,
}

/// Where a Map state's items come from.
#[derive(Debug)]
pub enum MapItems {
    /// `ItemsPath` (default `$`).
    Path(OptionalPathOrWhole),
    /// JSONata `Items`, or a literal array.
    Jsonata(JsonataTemplate),
}

/// `ItemsPath`: the whole input or a path (null is not allowed).
#[derive(Debug)]
pub enum OptionalPathOrWhole {
    /// The whole effective input, which must be an array.
    Whole,
    /// A path selecting the array.
    Path(JsonPath),
}

/// `ItemSelector` (or `BatchInput`) in the state's query language.
#[derive(Debug)]
pub enum ItemSelector {
    /// A JSONPath payload template (`"key.$": path`), which may read `$$.Map.Item`.
    JsonPath(PayloadTemplate),
    /// A JSONata template: values that may hold `{% … %}` expressions.
    Jsonata(JsonataTemplate),
}

/// `ItemProcessor.ProcessorConfig.Mode`: how a Map runs its iterations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessorMode {
    /// `INLINE` (the default): iterations run inside the execution, in its history.
    Inline,
    /// `DISTRIBUTED`: iterations run as child executions, each with its own history.
    Distributed,
}

/// One `Retry` entry.
#[derive(Debug, Clone)]
pub struct Retrier {
    /// `ErrorEquals`: the error names this retrier handles (`States.ALL` for any).
    pub error_equals: Vec<String>,
    /// `IntervalSeconds`: the wait before the first retry (default 1).
    pub interval_seconds: u64,
    /// `MaxAttempts`: how many retries are allowed (default 3; 0 never retries).
    pub max_attempts: u64,
    /// `BackoffRate`: the factor each wait grows by, at least 1.0 (default 2.0).
    pub backoff_rate: f64,
    /// `MaxDelaySeconds`: a cap on any one wait.
    pub max_delay_seconds: Option<u64>,
    /// `JitterStrategy`: whether waits are randomised.
    pub jitter: Jitter,
}

/// `JitterStrategy` of a retrier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jitter {
    /// `NONE` (the default): wait the computed interval exactly.
    None,
    /// `FULL`: wait a random time between zero and the computed interval.
    Full,
}

/// One `Catch` entry.
#[derive(Debug)]
pub struct Catcher {
    /// `ErrorEquals`: the error names this catcher handles (`States.ALL` for any).
    pub error_equals: Vec<String>,
    /// `Next`: the state to run with the error output.
    pub next: StateIndex,
    /// JSONPath `ResultPath` (default `$`).
    pub result_path: ResultPath,
    /// JSONata `Output`.
    pub output: Option<JsonataTemplate>,
    /// `Assign`: workflow variables set when this catcher handles the error.
    pub assign: Option<Assign>,
}
