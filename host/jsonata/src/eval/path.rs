//! Location paths: steps, tuple streams (for `@`, `#` and `%`), predicates, order-by and
//! group-by, following jsonata-js's `evaluatePath`/`evaluateStep`/`evaluateTupleStep`.

use std::rc::Rc;

use super::{Ctx, FrameId, GroupInput};
use crate::ast::{Kind, Node, Stage};
use crate::error::Result;
use crate::value::{CONS, KEEP_SINGLETON, OUTER_WRAPPER, SEQUENCE, Str, Tuple, Value, truthy};

/// The stream flowing between steps.
pub(crate) enum Stream<'a> {
    Values(Vec<Value<'a>>),
    Tuples(Vec<Tuple<'a>>),
}

impl<'a> Stream<'a> {
    pub(super) fn into_value(self) -> Value<'a> {
        match self {
            Stream::Values(v) => Value::seq(v),
            Stream::Tuples(t) => Value::Tuples(Rc::new(t)),
        }
    }
}

/// jsonata-js `fn.lookup`: field of an object, mapped (and flattened one level) over arrays.
pub(crate) fn lookup_field<'a>(input: &Value<'a>, key: &str) -> Value<'a> {
    match input {
        Value::JObject(o) => o.get(key).map(Value::from_json).unwrap_or_default(),
        Value::Object(o) => o.get(key).cloned().unwrap_or_default(),
        Value::Array(_) | Value::JArray(_) => {
            let mut out = Vec::new();
            for m in input.members() {
                let r = lookup_field(&m, key);
                match r {
                    Value::Undefined => {}
                    r if r.is_array() => out.extend(r.members()),
                    r => out.push(r),
                }
            }
            Value::seq(out)
        }
        _ => Value::Undefined,
    }
}

fn flatten_into<'a>(v: Value<'a>, out: &mut Vec<Value<'a>>) {
    stacker::maybe_grow(32 * 1024, 1024 * 1024, || flatten_inner(v, out))
}

fn flatten_inner<'a>(v: Value<'a>, out: &mut Vec<Value<'a>>) {
    if v.is_array() {
        for m in v.members() {
            flatten_into(m, out);
        }
    } else {
        out.push(v);
    }
}

pub(crate) fn wildcard<'a>(input: &Value<'a>) -> Value<'a> {
    let mut input = input.clone();
    if let Value::Array(a) = &input
        && a.flags & OUTER_WRAPPER != 0
        && !a.items.is_empty()
    {
        input = a.items[0].clone();
    }
    let mut out = Vec::new();
    // Object.keys of an array are its indices, so `*` over an array yields its members.
    let entries: Vec<Value<'a>> = if input.is_array() {
        input.to_vec()
    } else {
        input.entries().into_iter().map(|(_, v)| v).collect()
    };
    for v in entries {
        if v.is_array() {
            flatten_into(v, &mut out);
        } else {
            out.push(v);
        }
    }
    Value::seq(out)
}

fn recurse_descendants<'a>(v: Value<'a>, out: &mut Vec<Value<'a>>) {
    stacker::maybe_grow(32 * 1024, 1024 * 1024, || descendants_inner(v, out))
}

fn descendants_inner<'a>(v: Value<'a>, out: &mut Vec<Value<'a>>) {
    if v.is_array() {
        for m in v.members() {
            recurse_descendants(m, out);
        }
        return;
    }
    out.push(v.clone());
    if v.is_object() {
        for (_, c) in v.entries() {
            recurse_descendants(c, out);
        }
    }
}

pub(crate) fn descendants<'a>(input: &Value<'a>) -> Value<'a> {
    if input.is_undefined() {
        return Value::Undefined;
    }
    let mut out = Vec::new();
    recurse_descendants(input.clone(), &mut out);
    if out.len() == 1 {
        out.pop().unwrap_or_default()
    } else {
        Value::seq(out)
    }
}

fn is_simple_name(step: &Node) -> Option<&str> {
    match &step.kind {
        Kind::Name(n)
            if !step.tuple
                && step.stages.is_empty()
                && step.predicate.is_empty()
                && step.group.is_none()
                && !step.keep_array =>
        {
            Some(n)
        }
        _ => None,
    }
}

impl<'a> Ctx<'a> {
    pub(super) fn eval_path(&self, node: &'a Node, input: &Value<'a>, frame: FrameId) -> Result<Value<'a>> {
        let Kind::Path { steps, keep_singleton } = &node.kind else {
            unreachable!()
        };
        if let Some(v) = self.fast_path(node, steps, input, frame) {
            return Ok(v);
        }
        let mut input_seq: Vec<Value<'a>> = if input.is_array() && !matches!(steps[0].kind, Kind::Var(_)) {
            input.to_vec()
        } else {
            vec![input.clone()]
        };
        let mut result = Value::seq(Vec::new());
        let mut is_tuple = false;
        let mut tuples: Option<Vec<Tuple<'a>>> = None;
        let last = steps.len() - 1;
        for (i, step) in steps.iter().enumerate() {
            if step.tuple {
                is_tuple = true;
            }
            if i == 0 && step.cons_array {
                result = self.eval(step, &Value::seq(input_seq.clone()), frame)?;
            } else if is_tuple {
                tuples = Some(self.tuple_step(step, &input_seq, tuples.take(), frame)?);
            } else {
                result = self.step(step, &input_seq, frame, i == last)?;
            }
            if !is_tuple && (result.is_undefined() || result.array_len() == Some(0)) {
                break;
            }
            if step.focus.is_none() {
                input_seq = if is_tuple {
                    tuples
                        .as_ref()
                        .map(|t| t.iter().map(Tuple::context).collect())
                        .unwrap_or_default()
                } else {
                    result.to_vec()
                };
            }
        }
        let mut group_tuples = None;
        if is_tuple {
            let t = tuples.unwrap_or_default();
            if node.tuple {
                result = Value::Tuples(Rc::new(t));
            } else {
                result = Value::seq(t.iter().map(Tuple::context).collect());
                if node.group.is_some() {
                    group_tuples = Some(t);
                }
            }
        }
        if *keep_singleton {
            result = match result {
                Value::Array(a) if a.flags & CONS != 0 && a.flags & SEQUENCE == 0 => {
                    Value::with_flags(vec![Value::Array(a)], SEQUENCE | KEEP_SINGLETON)
                }
                Value::Array(mut a) => {
                    Rc::make_mut(&mut a).flags |= KEEP_SINGLETON;
                    Value::Array(a)
                }
                Value::JArray(j) => Value::with_flags(j.iter().map(Value::from_json).collect(), KEEP_SINGLETON),
                other => other,
            };
        }
        if let Some(g) = &node.group {
            let gi = match (group_tuples, result) {
                (Some(t), _) => GroupInput::Tuples(t),
                (None, Value::Tuples(t)) => GroupInput::Tuples(t.as_ref().clone()),
                (None, v) => GroupInput::Values(v.to_vec()),
            };
            result = self.eval_group(&g.pairs, g.pos, gi, frame)?;
        }
        Ok(result)
    }

    /// `$var.a.b` / `a.b.c` over a non-array without predicates: walk borrowed JSON directly.
    fn fast_path(&self, node: &'a Node, steps: &'a [Node], input: &Value<'a>, frame: FrameId) -> Option<Value<'a>> {
        if node.group.is_some() || node.tuple {
            return None;
        }
        let (mut cur, rest) = match &steps[0].kind {
            Kind::Var(name) if !name.is_empty() && steps[0].predicate.is_empty() && !steps[0].tuple => {
                (self.lookup(frame, name), &steps[1..])
            }
            _ => (input.clone(), steps),
        };
        if let Kind::Path {
            keep_singleton: true, ..
        } = node.kind
        {
            return None;
        }
        if rest.is_empty() && steps.len() > 1 {
            return None;
        }
        for step in rest {
            let name = is_simple_name(step)?;
            cur = match &cur {
                Value::JObject(o) => o.get(name).map(Value::from_json).unwrap_or_default(),
                Value::Object(o) => o.get(name).cloned().unwrap_or_default(),
                Value::Undefined => return Some(Value::Undefined),
                Value::Array(_) | Value::JArray(_) | Value::Tuples(_) => return None,
                _ => return Some(Value::Undefined),
            };
        }
        // Arrays at the end keep their identity (last-step rule); a variable alone is returned
        // as-is, like jsonata-js's single-step path over a variable.
        Some(cur)
    }

    fn step(&self, step: &'a Node, input: &[Value<'a>], frame: FrameId, last: bool) -> Result<Value<'a>> {
        if let Kind::Sort { .. } = step.kind {
            let mut r = self.eval_sort(step, Stream::Values(input.to_vec()), frame)?;
            for st in &step.stages {
                r = self.stage(st, r, frame)?;
            }
            return Ok(r.into_value());
        }
        let mut results: Vec<Value<'a>> = Vec::with_capacity(input.len());
        for item in input {
            let mut res = self.eval(step, item, frame)?;
            for st in &step.stages {
                if let Stage::Filter(f) = st {
                    res = self.filter(f, res, frame)?;
                }
            }
            if !res.is_undefined() {
                results.push(res);
            }
        }
        if last && results.len() == 1 && results[0].is_array() && !results[0].is_sequence() {
            return Ok(results.pop().unwrap_or_default());
        }
        let mut out = Vec::with_capacity(results.len());
        for r in results {
            if r.is_array() && r.flags() & CONS == 0 {
                out.extend(r.into_vec());
            } else {
                out.push(r);
            }
        }
        Ok(Value::seq(out))
    }

    pub(super) fn tuple_frame(&self, frame: FrameId, t: &Tuple<'a>) -> FrameId {
        let f = self.new_frame(frame);
        for (k, v) in &t.bindings {
            self.bind(f, Str::O(k.clone()), v.clone());
        }
        f
    }

    fn tuple_step(
        &self,
        step: &'a Node,
        input: &[Value<'a>],
        tuples: Option<Vec<Tuple<'a>>>,
        frame: FrameId,
    ) -> Result<Vec<Tuple<'a>>> {
        if let Kind::Sort { .. } = step.kind {
            let mut r = match tuples {
                Some(t) => self.eval_sort(step, Stream::Tuples(t), frame)?,
                None => {
                    let sorted = match self.eval_sort(step, Stream::Values(input.to_vec()), frame)? {
                        Stream::Values(v) => v,
                        Stream::Tuples(t) => t.iter().map(Tuple::context).collect(),
                    };
                    let mut out = Vec::with_capacity(sorted.len());
                    for (i, v) in sorted.into_iter().enumerate() {
                        let mut t = Tuple::default();
                        t.set("@", v);
                        if let Some(ix) = &step.index {
                            t.set(ix, Value::Number(i as f64));
                        }
                        out.push(t);
                    }
                    Stream::Tuples(out)
                }
            };
            for st in &step.stages {
                r = self.stage(st, r, frame)?;
            }
            return Ok(match r {
                Stream::Tuples(t) => t,
                Stream::Values(v) => v
                    .into_iter()
                    .map(|x| Tuple {
                        bindings: vec![(Rc::from("@"), x)],
                    })
                    .collect(),
            });
        }
        let tuples = tuples.unwrap_or_else(|| {
            input
                .iter()
                .map(|v| Tuple {
                    bindings: vec![(Rc::from("@"), v.clone())],
                })
                .collect()
        });
        let mut result = Vec::new();
        for t in &tuples {
            let ctx = t.context();
            let res = self.scoped(|| {
                let env = self.tuple_frame(frame, t);
                self.eval(step, &ctx, env)
            })?;
            if res.is_undefined() {
                continue;
            }
            if let Value::Tuples(rt) = &res {
                for r in rt.iter() {
                    let mut nt = t.clone();
                    for (k, v) in &r.bindings {
                        nt.set(k, v.clone());
                    }
                    result.push(nt);
                }
                continue;
            }
            let items = if res.is_array() { res.to_vec() } else { vec![res] };
            for (bb, r) in items.into_iter().enumerate() {
                let mut nt = t.clone();
                if let Some(focus) = &step.focus {
                    nt.set(focus, r);
                    nt.set("@", ctx.clone());
                } else {
                    nt.set("@", r);
                }
                if let Some(ix) = &step.index {
                    nt.set(ix, Value::Number(bb as f64));
                }
                if let Some(label) = &step.ancestor_label {
                    nt.set(label, ctx.clone());
                }
                result.push(nt);
            }
        }
        let mut r = Stream::Tuples(result);
        for st in &step.stages {
            r = self.stage(st, r, frame)?;
        }
        Ok(match r {
            Stream::Tuples(t) => t,
            Stream::Values(_) => Vec::new(),
        })
    }

    fn stage(&self, st: &'a Stage, input: Stream<'a>, frame: FrameId) -> Result<Stream<'a>> {
        match st {
            Stage::Filter(f) => self.filter_stream(f, input, frame),
            Stage::Index(name) => Ok(match input {
                Stream::Tuples(mut t) => {
                    for (i, tu) in t.iter_mut().enumerate() {
                        tu.set(name, Value::Number(i as f64));
                    }
                    Stream::Tuples(t)
                }
                other => other,
            }),
        }
    }

    /// A predicate applied to a value (jsonata-js `evaluateFilter`).
    pub(super) fn filter(&self, pred: &'a Node, input: Value<'a>, frame: FrameId) -> Result<Value<'a>> {
        let stream = match input {
            Value::Tuples(t) => Stream::Tuples(t.as_ref().clone()),
            Value::Undefined => Stream::Values(Vec::new()),
            v if v.is_array() => Stream::Values(v.to_vec()),
            v => Stream::Values(vec![v]),
        };
        Ok(self.filter_stream(pred, stream, frame)?.into_value())
    }

    fn filter_stream(&self, pred: &'a Node, input: Stream<'a>, frame: FrameId) -> Result<Stream<'a>> {
        let len = match &input {
            Stream::Values(v) => v.len(),
            Stream::Tuples(t) => t.len(),
        };
        let resolve = |i: f64| -> Option<usize> {
            let mut i = i.floor();
            if i < 0.0 {
                i += len as f64;
            }
            (i >= 0.0 && i < len as f64).then_some(i as usize)
        };
        if let Kind::Num(n) = pred.kind
            && pred.predicate.is_empty()
        {
            return Ok(match input {
                Stream::Values(mut v) => match resolve(n) {
                    Some(i) => {
                        let item = v.swap_remove(i);
                        if item.is_array() {
                            Stream::Values(item.to_vec())
                        } else {
                            Stream::Values(vec![item])
                        }
                    }
                    None => Stream::Values(Vec::new()),
                },
                Stream::Tuples(mut t) => match resolve(n) {
                    Some(i) => Stream::Tuples(vec![t.swap_remove(i)]),
                    None => Stream::Tuples(Vec::new()),
                },
            });
        }
        let keep = |res: &Value<'a>, index: usize| -> bool {
            match res {
                Value::Number(n) => resolve(*n) == Some(index),
                v if v.is_array() && v.members().all(|m| matches!(m, Value::Number(_))) => v
                    .members()
                    .any(|m| resolve(m.as_f64().unwrap_or(f64::NAN)) == Some(index)),
                v => truthy(v) == Some(true),
            }
        };
        match input {
            Stream::Values(items) => {
                let mut out = Vec::new();
                for (index, item) in items.into_iter().enumerate() {
                    let res = self.eval(pred, &item, frame)?;
                    if keep(&res, index) {
                        out.push(item);
                    }
                }
                Ok(Stream::Values(out))
            }
            Stream::Tuples(items) => {
                let mut out = Vec::new();
                for (index, t) in items.into_iter().enumerate() {
                    let res = self.scoped(|| {
                        let env = self.tuple_frame(frame, &t);
                        self.eval(pred, &t.context(), env)
                    })?;
                    if keep(&res, index) {
                        out.push(t);
                    }
                }
                Ok(Stream::Tuples(out))
            }
        }
    }
}
