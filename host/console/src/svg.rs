//! A state machine's graph as a standalone SVG file, drawn without a
//! browser (`stepyard graph`).
//!
//! The console draws graphs in the browser: `js/graph/model.js` reads the
//! definition, dagre lays it out, `js/graph/draw.js` draws it. A second
//! layout written in Rust would soon disagree with that one, so this module
//! runs the same modules, from the same embedded files, in QuickJS
//! (`js/graph/standalone.js` gives them a small DOM to draw into and
//! estimated font metrics). What a README or a CI artifact shows is then
//! what the console shows.
//!
//! The script runs on its own thread with a memory limit and a deadline:
//! a definition is user input, and a huge one must end in an error, not a
//! hung command.

use std::time::{Duration, Instant};

use rquickjs::loader::{BuiltinLoader, BuiltinResolver};
use rquickjs::{CatchResultExt, CaughtError, Context, Function, Module, Object, Runtime};
use serde_json::Value;

use crate::assets::Assets;

/// The module that draws a whole SVG document.
const ENTRY_MODULE: &str = "js/graph/standalone.js";
/// The stylesheet the document carries (the console's graph styles).
const STYLESHEET: &str = "css/graph.css";
/// Enough for definitions of thousands of states; a bigger one is refused.
const MEMORY_LIMIT: usize = 512 << 20;
/// QuickJS's own recursion limit, within the thread's stack below.
const SCRIPT_STACK: usize = 16 << 20;
const THREAD_STACK: usize = 32 << 20;
const DEADLINE: Duration = Duration::from_secs(60);

/// Which way transitions run in the drawing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Direction {
    /// From the top down, as the AWS console draws (the default).
    #[default]
    TopToBottom,
    /// From left to right.
    LeftToRight,
}

/// An execution whose progress the graph shows: each state coloured by its
/// status and badged with its retries, as the console's graph view does.
#[derive(Debug, Clone, Copy)]
pub struct ExecutionRun<'a> {
    /// `GetExecutionHistory`'s events, oldest first.
    pub events: &'a [Value],
    /// The execution's status (`RUNNING`, `SUCCEEDED`, …).
    pub status: &'a str,
}

/// Why no graph was drawn.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// The drawing code refused the definition (not a state machine) or
    /// failed on it; the message is the script's.
    #[error("cannot draw the graph: {0}")]
    Drawing(String),
    /// The definition is too big to lay out within the memory limit.
    #[error("cannot draw the graph: it needs more than {} MiB", MEMORY_LIMIT >> 20)]
    OutOfMemory,
    /// Laying out took longer than the deadline.
    #[error("cannot draw the graph: it took longer than {} s", DEADLINE.as_secs())]
    TimedOut,
    /// The embedded script engine could not start.
    #[error("cannot start the graph's script engine: {0}")]
    Engine(String),
}

/// Draws `definition` (parsed ASL) as an SVG document, with `run`'s
/// statuses when one is given.
pub fn render_svg(
    definition: &Value,
    run: Option<ExecutionRun<'_>>,
    direction: Direction,
) -> Result<String, GraphError> {
    let definition = definition.to_string();
    let events = run.map(|r| Value::from(r.events.to_vec()).to_string());
    let status = run.map(|r| r.status.to_owned());
    // A thread of its own: QuickJS needs a deeper stack than a tokio worker
    // has, and the deadline must not depend on the caller's runtime.
    std::thread::Builder::new()
        .name("graph-svg".into())
        .stack_size(THREAD_STACK)
        .spawn(move || draw(&definition, events.as_deref(), status.as_deref(), direction))
        .map_err(|e| GraphError::Engine(e.to_string()))?
        .join()
        .map_err(|_| GraphError::Engine("the drawing thread panicked".into()))?
}

fn draw(
    definition: &str,
    events: Option<&str>,
    status: Option<&str>,
    direction: Direction,
) -> Result<String, GraphError> {
    let engine = |e: rquickjs::Error| GraphError::Engine(e.to_string());
    let runtime = Runtime::new().map_err(engine)?;
    runtime.set_memory_limit(MEMORY_LIMIT);
    runtime.set_max_stack_size(SCRIPT_STACK);
    let deadline = Instant::now() + DEADLINE;
    runtime.set_interrupt_handler(Some(Box::new(move || Instant::now() > deadline)));
    let (resolver, loader) = embedded_modules();
    runtime.set_loader(resolver, loader);
    let context = Context::full(&runtime).map_err(engine)?;
    let css = Assets::get(STYLESHEET)
        .map(|f| String::from_utf8_lossy(&f.data).into_owned())
        .unwrap_or_default();

    context.with(|ctx| {
        let result = (|| {
            let namespace: Object = Module::import(&ctx, ENTRY_MODULE)?.finish()?;
            let render: Function = namespace.get("renderSvgDocument")?;
            let options = Object::new(ctx.clone())?;
            options.set("css", css)?;
            options.set(
                "direction",
                match direction {
                    Direction::TopToBottom => "TB",
                    Direction::LeftToRight => "LR",
                },
            )?;
            if let Some(events) = events {
                options.set("events", ctx.json_parse(events)?)?;
                options.set("executionStatus", status)?;
            }
            render.call::<_, String>((ctx.json_parse(definition)?, options))
        })()
        .catch(&ctx);
        result.map_err(|caught| {
            if Instant::now() > deadline {
                return GraphError::TimedOut;
            }
            match caught {
                CaughtError::Exception(e) => {
                    let message = e.message().unwrap_or_default();
                    if message.contains("out of memory") {
                        GraphError::OutOfMemory
                    } else {
                        GraphError::Drawing(message)
                    }
                }
                CaughtError::Error(rquickjs::Error::Allocation) => GraphError::OutOfMemory,
                other => GraphError::Drawing(other.to_string()),
            }
        })
    })
}

/// Every script of the console, importable by its path (`js/graph/draw.js`,
/// `vendor/dagre/dagre.esm.js`), so the modules' relative imports resolve
/// as they do in the browser.
fn embedded_modules() -> (BuiltinResolver, BuiltinLoader) {
    let mut resolver = BuiltinResolver::default();
    let mut loader = BuiltinLoader::default();
    for path in Assets::iter().filter(|p| p.ends_with(".js")) {
        if let Some(file) = Assets::get(&path) {
            resolver.add_module(path.to_string());
            loader.add_module(path.to_string(), file.data.into_owned());
        }
    }
    (resolver, loader)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn order() -> Value {
        json!({
            "StartAt": "Pay",
            "States": {
                "Pay": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:pay",
                        "Retry": [{"ErrorEquals": ["States.ALL"]}], "Next": "Fan"},
                "Fan": {"Type": "Parallel", "End": true, "Branches": [
                    {"StartAt": "<b>x</b>", "States": {"<b>x</b>": {"Type": "Pass", "End": true}}}
                ]}
            }
        })
    }

    #[test]
    fn a_definition_becomes_an_svg_with_every_state_as_text() {
        let svg = render_svg(&order(), None, Direction::TopToBottom).unwrap();
        assert!(svg.starts_with("<?xml"), "{}", &svg[..100]);
        assert!(svg.contains(r#"data-state="Pay""#));
        assert!(svg.contains(r#"data-state="Fan""#));
        // A name with markup stays text, escaped.
        assert!(svg.contains("&lt;b&gt;x&lt;/b&gt;"));
        assert!(!svg.contains("<b>"));
        assert!(svg.contains("sy-graph"), "the stylesheet's scope is set");
        assert!(svg.contains("--sy-succeeded-fill"), "the stylesheet is carried");
    }

    #[test]
    fn an_execution_colours_its_states_and_badges_retries() {
        let ts = 1_700_000_000.0;
        let events = vec![
            json!({"id": 1, "previousEventId": 0, "timestamp": ts, "type": "ExecutionStarted",
                   "executionStartedEventDetails": {"input": "{}"}}),
            json!({"id": 2, "previousEventId": 1, "timestamp": ts, "type": "TaskStateEntered",
                   "stateEnteredEventDetails": {"name": "Pay", "input": "{}"}}),
            json!({"id": 3, "previousEventId": 2, "timestamp": ts, "type": "TaskScheduled",
                   "taskScheduledEventDetails": {"resource": "pay"}}),
            json!({"id": 4, "previousEventId": 3, "timestamp": ts, "type": "TaskFailed",
                   "taskFailedEventDetails": {"error": "E"}}),
            json!({"id": 5, "previousEventId": 4, "timestamp": ts, "type": "TaskScheduled",
                   "taskScheduledEventDetails": {"resource": "pay"}}),
            json!({"id": 6, "previousEventId": 5, "timestamp": ts, "type": "TaskSucceeded",
                   "taskSucceededEventDetails": {"output": "{}"}}),
            json!({"id": 7, "previousEventId": 6, "timestamp": ts, "type": "TaskStateExited",
                   "stateExitedEventDetails": {"name": "Pay", "output": "{}"}}),
            json!({"id": 8, "previousEventId": 7, "timestamp": ts, "type": "ParallelStateEntered",
                   "stateEnteredEventDetails": {"name": "Fan", "input": "{}"}}),
        ];
        let run = ExecutionRun {
            events: &events,
            status: "RUNNING",
        };
        let svg = render_svg(&order(), Some(run), Direction::LeftToRight).unwrap();
        let pay = &svg[svg.find(r#"data-state="Pay""#).unwrap()..];
        let pay = &pay[..pay.find('>').unwrap()];
        assert!(pay.contains(r#"data-status="succeeded""#), "{pay}");
        assert!(svg.contains(r#"data-retries="1""#), "one retry badge");
        let fan = &svg[svg.find(r#"data-state="Fan""#).unwrap()..];
        let fan = &fan[..fan.find('>').unwrap()];
        assert!(fan.contains(r#"data-status="in-progress""#), "{fan}");
    }

    #[test]
    fn what_is_not_a_state_machine_is_refused_with_the_scripts_reason() {
        let err = render_svg(&json!({"States": {}}), None, Direction::TopToBottom).unwrap_err();
        assert!(matches!(err, GraphError::Drawing(_)), "{err:?}");
        assert!(err.to_string().contains("StartAt"), "{err}");
    }
}
