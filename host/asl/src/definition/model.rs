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
    pub comment: Option<String>,
    pub version: Option<String>,
    /// `TimeoutSeconds` of the whole execution.
    pub timeout_seconds: Option<u64>,
    pub query_language: QueryLanguage,
    pub graph: Graph,
    /// The definition as the user wrote it (for `$$.StateMachine` and the API).
    pub source: Value,
}

/// The two query languages a state can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueryLanguage {
    #[default]
    JsonPath,
    Jsonata,
}

impl QueryLanguage {
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
    pub start_at: StateIndex,
    pub states: Vec<State>,
}

impl Graph {
    pub(crate) fn new(start_at: StateIndex, states: Vec<State>) -> Graph {
        Graph { start_at, states }
    }

    pub fn start(&self) -> &State {
        &self.states[self.start_at]
    }
}

/// One state, with the fields every type shares.
#[derive(Debug)]
pub struct State {
    pub name: String,
    pub comment: Option<String>,
    pub query_language: QueryLanguage,
    pub kind: StateKind,
    /// Where to go after success (absent for Choice, Succeed and Fail).
    pub transition: Transition,
    pub io: DataFlow,
    pub assign: Option<Assign>,
    pub retry: Vec<Retrier>,
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
    Next(StateIndex),
    End,
    /// Choice decides for itself; Succeed and Fail end the graph.
    None,
}

/// The per-state data processing fields of the state's query language.
#[derive(Debug)]
pub enum DataFlow {
    JsonPath(Box<JsonPathFlow>),
    Jsonata(JsonataFlow),
}

/// `InputPath` → `Parameters` → (work) → `ResultSelector` → `ResultPath` → `OutputPath`.
#[derive(Debug, Default)]
pub struct JsonPathFlow {
    pub input_path: OptionalPath,
    pub parameters: Option<PayloadTemplate>,
    pub result_selector: Option<PayloadTemplate>,
    pub result_path: ResultPath,
    pub output_path: OptionalPath,
}

/// `Arguments` → (work) → `Output`.
#[derive(Debug, Default)]
pub struct JsonataFlow {
    pub arguments: Option<JsonataTemplate>,
    pub output: Option<JsonataTemplate>,
}

/// `InputPath` or `OutputPath`: absent means `$`, `null` means `{}`.
#[derive(Debug, Default)]
pub enum OptionalPath {
    #[default]
    Whole,
    Null,
    Path(JsonPath),
}

/// `ResultPath`: absent means `$` (result replaces input), `null` discards the result.
#[derive(Debug, Default)]
pub enum ResultPath {
    #[default]
    Whole,
    Null,
    Path(ReferencePath),
}

/// `Assign` in the state's query language.
#[derive(Debug)]
pub enum Assign {
    JsonPath(PayloadTemplate),
    Jsonata(JsonataTemplate),
}

/// A value that a JSONPath state gives literally or through a `…Path` field,
/// and a JSONata state gives literally or as an expression.
#[derive(Debug)]
pub enum Dynamic<T> {
    Literal(T),
    Path(JsonPath),
    /// An intrinsic function (only `ErrorPath` and `CausePath` take one).
    Intrinsic(IntrinsicCall),
    Jsonata(JsonataTemplate),
}

#[derive(Debug)]
pub enum StateKind {
    Pass(PassState),
    Task(Box<TaskState>),
    Choice(ChoiceState),
    Wait(WaitState),
    Succeed,
    Fail(FailState),
    Parallel(ParallelState),
    Map(Box<MapState>),
}

impl StateKind {
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

#[derive(Debug)]
pub struct PassState {
    /// `Result`: a static value that replaces the (effective) input.
    pub result: Option<Value>,
}

#[derive(Debug)]
pub struct TaskState {
    pub resource: String,
    /// How AWS treats `resource` (history events, output shape).
    pub kind: crate::definition::ResourceKind,
    pub timeout_seconds: Option<Dynamic<u64>>,
    pub heartbeat_seconds: Option<Dynamic<u64>>,
    pub credentials: Option<Value>,
}

#[derive(Debug)]
pub struct ChoiceState {
    pub choices: Vec<ChoiceBranch>,
    pub default: Option<StateIndex>,
}

/// One entry of `Choices`: a rule and where it leads.
#[derive(Debug)]
pub struct ChoiceBranch {
    pub rule: ChoiceRule,
    pub next: StateIndex,
    pub assign: Option<Assign>,
    /// JSONata `Output` of the rule (replaces the state's `Output`).
    pub output: Option<JsonataTemplate>,
}

/// A boolean rule of a Choice state.
#[derive(Debug)]
pub enum ChoiceRule {
    And(Vec<ChoiceRule>),
    Or(Vec<ChoiceRule>),
    Not(Box<ChoiceRule>),
    Compare(Box<Compare>),
    /// JSONata `Condition`.
    Condition(JsonataTemplate),
}

/// A data test: the variable it reads and the comparison it makes.
#[derive(Debug)]
pub struct Compare {
    pub variable: JsonPath,
    pub comparison: Comparison,
}

/// A data-test expression: the operator and its operand.
#[derive(Debug)]
pub struct Comparison {
    pub operator: Operator,
    pub operand: Operand,
    /// The operator's field name as written (`NumericEqualsPath`...), for messages.
    pub field: &'static str,
}

#[derive(Debug)]
pub enum Operand {
    Literal(Value),
    Path(JsonPath),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    StringEquals,
    StringLessThan,
    StringGreaterThan,
    StringLessThanEquals,
    StringGreaterThanEquals,
    StringMatches,
    NumericEquals,
    NumericLessThan,
    NumericGreaterThan,
    NumericLessThanEquals,
    NumericGreaterThanEquals,
    BooleanEquals,
    TimestampEquals,
    TimestampLessThan,
    TimestampGreaterThan,
    TimestampLessThanEquals,
    TimestampGreaterThanEquals,
    IsNull,
    IsPresent,
    IsNumeric,
    IsString,
    IsBoolean,
    IsTimestamp,
}

#[derive(Debug)]
pub enum WaitState {
    Seconds(Dynamic<i64>),
    Timestamp(Dynamic<String>),
}

#[derive(Debug, Default)]
pub struct FailState {
    pub error: Option<Dynamic<String>>,
    pub cause: Option<Dynamic<String>>,
}

#[derive(Debug)]
pub struct ParallelState {
    pub branches: Vec<Graph>,
}

#[derive(Debug)]
pub struct MapState {
    pub items: MapItems,
    pub item_selector: Option<ItemSelector>,
    pub processor: Box<Graph>,
    pub mode: ProcessorMode,
    pub max_concurrency: Dynamic<u64>,
    pub tolerated_failure_count: Option<Dynamic<u64>>,
    pub tolerated_failure_percentage: Option<Dynamic<f64>>,
    pub label: Option<String>,
    /// `ItemReader`: reading items from S3 needs an AWS service; kept to report it.
    pub item_reader: Option<Value>,
    pub item_batcher: Option<ItemBatcher>,
    pub result_writer: Option<Value>,
}

/// `ItemBatcher`: iterations receive batches `{"Items": […], "BatchInput": …}`.
#[derive(Debug)]
pub struct ItemBatcher {
    pub max_items: Option<Dynamic<u64>>,
    pub max_bytes: Option<Dynamic<u64>>,
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
    Whole,
    Path(JsonPath),
}

#[derive(Debug)]
pub enum ItemSelector {
    JsonPath(PayloadTemplate),
    Jsonata(JsonataTemplate),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessorMode {
    Inline,
    Distributed,
}

/// One `Retry` entry.
#[derive(Debug, Clone)]
pub struct Retrier {
    pub error_equals: Vec<String>,
    pub interval_seconds: u64,
    pub max_attempts: u64,
    pub backoff_rate: f64,
    pub max_delay_seconds: Option<u64>,
    pub jitter: Jitter,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jitter {
    None,
    Full,
}

/// One `Catch` entry.
#[derive(Debug)]
pub struct Catcher {
    pub error_equals: Vec<String>,
    pub next: StateIndex,
    /// JSONPath `ResultPath` (default `$`).
    pub result_path: ResultPath,
    /// JSONata `Output`.
    pub output: Option<JsonataTemplate>,
    pub assign: Option<Assign>,
}
