//! The tree-walking evaluator. Mirrors jsonata-js's `evaluate` family; sequences are arrays
//! flagged `SEQUENCE` and are normalised (empty → undefined, singleton → item) on the way out
//! of every node, as jsonata-js does.

pub(crate) mod func;
mod group;
mod ops;
mod path;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::Variables;
use crate::ast::{Kind, Node};
use crate::error::{Err, Result};
use crate::value::{CONS, KEEP_SINGLETON, SEQUENCE, Str, Value};
use func::Func;
pub(crate) use group::merge_sort;
pub(crate) use path::lookup_field;

/// Deepest evaluation nesting (AST node evaluations on the stack). Past it, U1001 — the error
/// jsonata's test harness and AWS raise for runaway recursion. The native stack grows on the
/// heap (`stacker`), so this bound holds even on a 2 MiB thread in a debug build.
pub(crate) const MAX_EVAL_DEPTH: usize = 10_000;

/// Most tail calls one evaluation may make. Tail calls run in constant stack (trampolined),
/// so without a bound `function($x){$f($x)}` would loop forever; past it, U1001 as for
/// runaway non-tail recursion (jsonata's harness reports a timeout with the same code).
pub(crate) const MAX_TAIL_CALLS: u64 = 100_000;

pub(crate) type FrameId = usize;

struct Frame<'a> {
    parent: Option<FrameId>,
    vars: Vec<(Str<'a>, Value<'a>)>,
}

/// State of one evaluation: variable frames (arena-allocated, so closures that capture their
/// own frame create no reference cycles), the caller's variables, and the clock.
pub(crate) struct Ctx<'a> {
    frames: RefCell<Vec<Frame<'a>>>,
    vars: Option<&'a dyn Variables>,
    /// The evaluation's input, which `$$` denotes.
    root_input: Value<'a>,
    pub aws: bool,
    pub now_millis: i64,
    depth: Cell<usize>,
    pub tail_calls: Cell<u64>,
    /// Closures created so far; frames may only be released when none were made meanwhile.
    closures: Cell<u64>,
    /// Expressions parsed by `$eval` during this evaluation.
    /// Created on first use: most evaluations never call `$eval`.
    pub eval_arena: &'a std::cell::OnceCell<typed_arena::Arena<Node>>,
    /// Unseeded random state, seeded from entropy on first use.
    pub rng: Cell<Option<u64>>,
    /// When set, evaluation fails with a timeout once this instant has passed.
    pub deadline: Option<std::time::Instant>,
    /// Where `$uuid()` comes from, when the caller says (else a random v4).
    pub uuid: Option<fn() -> String>,
    steps: Cell<u32>,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(
        root_input: Value<'a>,
        vars: Option<&'a dyn Variables>,
        aws: bool,
        now_millis: i64,
        eval_arena: &'a std::cell::OnceCell<typed_arena::Arena<Node>>,
    ) -> Ctx<'a> {
        Ctx {
            frames: RefCell::new(vec![Frame {
                parent: None,
                vars: Vec::new(),
            }]),
            vars,
            root_input,
            aws,
            now_millis,
            depth: Cell::new(0),
            tail_calls: Cell::new(0),
            closures: Cell::new(0),
            eval_arena,
            rng: Cell::new(None),
            deadline: None,
            uuid: None,
            steps: Cell::new(0),
        }
    }

    pub(crate) fn root(&self) -> FrameId {
        0
    }

    /// Run `f`, then release the frames it allocated unless a closure created meanwhile
    /// could still refer to them. Keeps memory flat across loops, calls and tuple streams
    /// (frames live in an arena, so they are otherwise only freed with the evaluation).
    pub(crate) fn scoped<R>(&self, f: impl FnOnce() -> Result<R>) -> Result<R> {
        let mark = self.frames.borrow().len();
        let closures = self.closures.get();
        let r = f();
        if self.closures.get() == closures {
            self.release(mark);
        }
        r
    }

    #[cfg(test)]
    pub(crate) fn frame_count(&self) -> usize {
        self.frames.borrow().len()
    }

    pub(crate) fn frame_mark(&self) -> (usize, u64) {
        (self.frames.borrow().len(), self.closures.get())
    }

    /// Release frames allocated since `mark` if no closure was created since.
    pub(crate) fn release_since(&self, mark: (usize, u64)) {
        if self.closures.get() == mark.1 {
            self.release(mark.0);
        }
    }

    fn release(&self, len: usize) {
        // Take the frames out before dropping them: their values may be large.
        let dropped: Vec<Frame<'a>> = {
            let mut f = self.frames.borrow_mut();
            if f.len() <= len {
                return;
            }
            f.split_off(len)
        };
        drop(dropped);
    }

    /// Note that a closure (lambda or transform capturing a frame) was created.
    fn closure_created(&self) {
        self.closures.set(self.closures.get() + 1);
    }

    pub(crate) fn new_frame(&self, parent: FrameId) -> FrameId {
        let mut f = self.frames.borrow_mut();
        f.push(Frame {
            parent: Some(parent),
            vars: Vec::new(),
        });
        f.len() - 1
    }

    pub(crate) fn bind(&self, frame: FrameId, name: Str<'a>, value: Value<'a>) {
        let mut f = self.frames.borrow_mut();
        let Some(fr) = f.get_mut(frame) else { return };
        let vars = &mut fr.vars;
        if let Some(slot) = vars.iter_mut().find(|(k, _)| **k == *name) {
            slot.1 = value;
        } else {
            vars.push((name, value));
        }
    }

    /// Variable lookup: frames outward, then the caller's variables, then built-ins.
    pub(crate) fn lookup(&self, frame: FrameId, name: &str) -> Value<'a> {
        {
            let frames = self.frames.borrow();
            let mut cur = Some(frame);
            while let Some(f) = cur.and_then(|id| frames.get(id)) {
                if let Some((_, v)) = f.vars.iter().rev().find(|(k, _)| **k == *name) {
                    return v.clone();
                }
                cur = f.parent;
            }
        }
        if name == "$" {
            return self.root_input.clone();
        }
        if let Some(v) = self.vars.and_then(|vars| vars.get(name)) {
            return Value::from_json(v);
        }
        match crate::functions::lookup_builtin(name, self.aws) {
            Some(b) => Value::Func(Rc::new(Func::Builtin(b))),
            None => Value::Undefined,
        }
    }

    fn enter(&self) -> Result<()> {
        if let Some(deadline) = self.deadline {
            // Reading the clock costs more than a node: look every 1024 nodes.
            let steps = self.steps.get().wrapping_add(1);
            self.steps.set(steps);
            if steps.is_multiple_of(1024) && std::time::Instant::now() > deadline {
                let mut e = Err::new("U1001").build();
                e.message = "Expression evaluation timeout: Check for infinite loop".into();
                return Err(e);
            }
        }
        let d = self.depth.get() + 1;
        if d > MAX_EVAL_DEPTH {
            return Err(Err::new("U1001").build());
        }
        self.depth.set(d);
        Ok(())
    }

    fn leave(&self) {
        self.depth.set(self.depth.get().saturating_sub(1));
    }

    /// Evaluate `node` against context `input` in `frame`.
    pub(crate) fn eval(&self, node: &'a Node, input: &Value<'a>, frame: FrameId) -> Result<Value<'a>> {
        self.enter()?;
        let r = stacker::maybe_grow(128 * 1024, 2 * 1024 * 1024, || self.eval_node(node, input, frame));
        self.leave();
        r
    }

    fn eval_node(&self, node: &'a Node, input: &Value<'a>, frame: FrameId) -> Result<Value<'a>> {
        let mut result = match &node.kind {
            Kind::Path { .. } => self.eval_path(node, input, frame)?,
            Kind::Binary { op, lhs, rhs } => self.eval_binary(*op, lhs, rhs, node.pos, input, frame)?,
            Kind::Neg(e) => {
                let v = self.eval(e, input, frame)?;
                match v {
                    Value::Undefined => Value::Undefined,
                    Value::Number(n) => Value::Number(-crate::value::check_finite(n)?),
                    other => {
                        return Err(Err::new("D1002")
                            .pos(node.pos)
                            .token("-")
                            .value_json(other.to_json_text())
                            .build());
                    }
                }
            }
            Kind::Array(items) => self.eval_array(node, items, input, frame)?,
            Kind::Object(pairs) if input.is_array() => {
                // jsonata-js groups over the members of an array context.
                self.eval_group(pairs, node.pos, GroupInput::Values(input.to_vec()), frame)?
            }
            Kind::Object(pairs) => self.eval_object(pairs, node.pos, input, frame)?,
            Kind::Name(name) => path::lookup_field(input, name),
            Kind::Str(s) => Value::Str(Str::B(s)),
            Kind::Num(n) => Value::Number(*n),
            Kind::Bool(b) => Value::Bool(*b),
            Kind::Null => Value::Null,
            Kind::Wildcard => path::wildcard(input),
            Kind::Descendant => path::descendants(input),
            Kind::Parent { label, .. } => self.lookup(frame, label),
            Kind::Var(name) => {
                if name.is_empty() {
                    match input {
                        Value::Array(a) if a.flags & crate::value::OUTER_WRAPPER != 0 => {
                            a.items.first().cloned().unwrap_or_default()
                        }
                        _ => input.clone(),
                    }
                } else {
                    self.lookup(frame, name)
                }
            }
            Kind::Regex(r) => Value::Func(Rc::new(Func::Regex(r))),
            Kind::Condition { cond, then, els } => {
                let c = self.eval(cond, input, frame)?;
                if crate::value::truthy(&c) == Some(true) {
                    self.eval(then, input, frame)?
                } else if let Some(e) = els {
                    self.eval(e, input, frame)?
                } else {
                    Value::Undefined
                }
            }
            Kind::Block(exprs) => {
                let mark = self.frame_mark();
                let f = self.new_frame(frame);
                let mut r = Value::Undefined;
                for e in exprs {
                    r = self.eval(e, input, f)?;
                }
                // A tail-call thunk still needs the block's frame: `apply` releases it.
                if !func::is_thunk(&r) {
                    self.release_since(mark);
                }
                r
            }
            Kind::Bind { name, rhs } => {
                let v = self.eval(rhs, input, frame)?;
                self.bind(frame, Str::B(name), v.clone());
                v
            }
            Kind::Function { proc, args } => self.eval_function(node, proc, args, input, frame, None)?,
            Kind::Partial { proc, args } => self.eval_partial(node, proc, args, input, frame)?,
            Kind::Lambda(def) => {
                // Tail-call thunks never outlive the call that made them (the trampoline in
                // `apply` consumes them), so only real lambdas count as closures.
                if !def.thunk {
                    self.closure_created();
                }
                Value::Func(Rc::new(Func::Lambda {
                    def,
                    input: input.clone(),
                    frame,
                }))
            }
            Kind::Apply { lhs, rhs } => self.eval_apply(node, lhs, rhs, input, frame)?,
            Kind::Transform {
                pattern,
                update,
                delete,
            } => {
                self.closure_created();
                Value::Func(Rc::new(Func::Transform {
                    pattern,
                    update,
                    delete: delete.as_deref(),
                    frame,
                    pos: node.pos,
                }))
            }
            Kind::Sort { .. } => {
                let items = input.to_vec();
                self.eval_sort(node, path::Stream::Values(items), frame)?.into_value()
            }
            Kind::Placeholder => return Err(Err::new("S0201").pos(node.pos).token("?").build()),
        };
        for p in &node.predicate {
            result = self.filter(p, result, frame)?;
        }
        if !node.is_path()
            && let Some(g) = &node.group
        {
            let items = match result {
                Value::Tuples(t) => GroupInput::Tuples(t.as_ref().clone()),
                v => GroupInput::Values(if v.is_array() { v.to_vec() } else { vec![v] }),
            };
            result = self.eval_group(&g.pairs, g.pos, items, frame)?;
        }
        if let Value::Array(a) = &mut result
            && a.flags & SEQUENCE != 0
        {
            if node.keep_array && a.flags & KEEP_SINGLETON == 0 {
                Rc::make_mut(a).flags |= KEEP_SINGLETON;
            }
            result = result.normalize();
        }
        Ok(result)
    }

    /// Object constructor over a single context: the group-by algorithm specialised to one
    /// item, so each key is claimed by its pair and values are evaluated in key order.
    fn eval_object(
        &self,
        pairs: &'a [(Node, Node)],
        pos: usize,
        input: &Value<'a>,
        frame: FrameId,
    ) -> Result<Value<'a>> {
        let mut claimed: Vec<(String, usize, Option<Value<'a>>)> = Vec::with_capacity(pairs.len());
        for (pi, (k, _)) in pairs.iter().enumerate() {
            let key = match self.eval(k, input, frame)? {
                Value::Undefined => continue,
                Value::Str(s) => s,
                other => {
                    return Err(Err::new("T1003").pos(pos).value_json(other.to_json_text()).build());
                }
            };
            if let Some((_, owner, _)) = claimed.iter().find(|(ck, _, _)| *ck == *key) {
                if *owner != pi {
                    return Err(Err::new("D1009").pos(pos).value_str(&key).build());
                }
                continue;
            }
            claimed.push((key.to_string(), pi, None));
        }
        let mut out = crate::value::Object::with_capacity(claimed.len());
        for (key, pi, _) in claimed {
            let v = self.eval(&pairs[pi].1, input, frame)?;
            if !v.is_undefined() {
                out.insert(key, v);
            }
        }
        Ok(Value::object(out))
    }

    fn eval_array(&self, node: &'a Node, items: &'a [Node], input: &Value<'a>, frame: FrameId) -> Result<Value<'a>> {
        let mut out: Vec<Value<'a>> = Vec::with_capacity(items.len());
        for item in items {
            let v = self.eval(item, input, frame)?;
            if v.is_undefined() {
                continue;
            }
            if item.is_array_cons() {
                out.push(v);
            } else if v.is_array() {
                if out.is_empty() {
                    out = v.into_vec();
                } else {
                    out.extend(v.into_vec());
                }
            } else {
                out.push(v);
            }
        }
        let flags = if node.cons_array { CONS } else { 0 };
        Ok(Value::with_flags(out, flags))
    }
}

/// Input of a group-by / object constructor: plain values or a tuple stream.
pub(crate) enum GroupInput<'a> {
    Values(Vec<Value<'a>>),
    Tuples(Vec<crate::value::Tuple<'a>>),
}
