//! Order-by (`^(...)`) and group-by / object construction (`{...}`), following jsonata-js's
//! `evaluateSortExpression` and `evaluateGroupExpression`.

use indexmap::IndexMap;

use super::path::Stream;
use super::{Ctx, FrameId, GroupInput};
use crate::ast::{Kind, Node};
use crate::error::{Err, Result};
use crate::value::{Object, Tuple, Value};

/// jsonata-js `fn.append` as used when merging group data.
fn append<'a>(a: Value<'a>, b: Value<'a>) -> Value<'a> {
    if a.is_undefined() {
        return b;
    }
    if b.is_undefined() {
        return a;
    }
    let mut items = a.to_vec();
    items.extend(b.to_vec());
    Value::seq(items)
}

impl<'a> Ctx<'a> {
    /// Order-by (jsonata-js `evaluateSortExpression`): a stable merge sort on the terms.
    pub(super) fn eval_sort(&self, node: &'a Node, input: Stream<'a>, frame: FrameId) -> Result<Stream<'a>> {
        let Kind::Sort { terms } = &node.kind else {
            unreachable!()
        };
        // Pre-compute each item's keys once (the comparator is pure).
        let keyed: Vec<Vec<Value<'a>>> = match &input {
            Stream::Values(v) => v
                .iter()
                .map(|item| {
                    terms
                        .iter()
                        .map(|t| self.eval(&t.expr, item, frame))
                        .collect::<Result<Vec<_>>>()
                })
                .collect::<Result<_>>()?,
            Stream::Tuples(ts) => ts
                .iter()
                .map(|t| {
                    self.scoped(|| {
                        let env = self.tuple_frame(frame, t);
                        let c = t.context();
                        terms
                            .iter()
                            .map(|term| self.eval(&term.expr, &c, env))
                            .collect::<Result<Vec<_>>>()
                    })
                })
                .collect::<Result<_>>()?,
        };
        let gt = |a: usize, b: usize| -> Result<bool> {
            for (ti, term) in terms.iter().enumerate() {
                let (aa, bb) = (&keyed[a][ti], &keyed[b][ti]);
                let comp = match (aa, bb) {
                    (Value::Undefined, Value::Undefined) => 0,
                    (Value::Undefined, _) => 1,
                    (_, Value::Undefined) => -1,
                    (Value::Number(x), Value::Number(y)) => {
                        let c = if x == y {
                            0
                        } else if x < y {
                            -1
                        } else {
                            1
                        };
                        if term.descending { -c } else { c }
                    }
                    (Value::Str(x), Value::Str(y)) => {
                        let c = crate::functions::string::js_cmp(x, y) as i32;
                        if term.descending { -c } else { c }
                    }
                    (x, y) => {
                        let ok = |v: &Value<'_>| matches!(v, Value::Number(_) | Value::Str(_));
                        if !ok(x) || !ok(y) {
                            let bad = if !ok(x) { x } else { y };
                            return Err(Err::new("T2008").pos(node.pos).value_json(bad.to_json_text()).build());
                        }
                        return Err(Err::new("T2007")
                            .pos(node.pos)
                            .value_json(x.to_json_text())
                            .value2_json(y.to_json_text())
                            .build());
                    }
                };
                if comp != 0 {
                    return Ok(comp == 1);
                }
            }
            Ok(false)
        };
        let order = merge_sort((0..keyed.len()).collect(), &gt)?;
        Ok(match input {
            Stream::Values(v) => Stream::Values(order.into_iter().map(|i| v[i].clone()).collect()),
            Stream::Tuples(t) => Stream::Tuples(order.into_iter().map(|i| t[i].clone()).collect()),
        })
    }

    /// Object constructor / group-by (jsonata-js `evaluateGroupExpression`).
    pub(super) fn eval_group(
        &self,
        pairs: &'a [(Node, Node)],
        pos: usize,
        input: GroupInput<'a>,
        frame: FrameId,
    ) -> Result<Value<'a>> {
        enum Data<'a> {
            V(Value<'a>),
            T(Vec<Tuple<'a>>),
        }
        let mut groups: IndexMap<String, (Data<'a>, usize)> = IndexMap::new();
        let (values, tuples) = match input {
            GroupInput::Values(mut v) => {
                if v.is_empty() {
                    v.push(Value::Undefined);
                }
                (Some(v), None)
            }
            GroupInput::Tuples(t) => (None, Some(t)),
        };
        let n = values
            .as_ref()
            .map(Vec::len)
            .or(tuples.as_ref().map(Vec::len))
            .unwrap_or(0);
        for idx in 0..n {
            let (ctx, env) = match (&values, &tuples) {
                (Some(v), _) => (v[idx].clone(), frame),
                (_, Some(t)) => (t[idx].context(), self.tuple_frame(frame, &t[idx])),
                _ => unreachable!(),
            };
            for (pi, (k, _)) in pairs.iter().enumerate() {
                let key = self.eval(k, &ctx, env)?;
                let key = match key {
                    Value::Undefined => continue,
                    Value::Str(s) => s.to_string(),
                    other => {
                        return Err(Err::new("T1003").pos(pos).value_json(other.to_json_text()).build());
                    }
                };
                match groups.get_mut(&key) {
                    Some((data, ei)) => {
                        if *ei != pi {
                            return Err(Err::new("D1009").pos(pos).value_str(&key).build());
                        }
                        match data {
                            Data::V(v) => *v = append(std::mem::take(v), ctx.clone()),
                            Data::T(t) => t.push(tuples.as_ref().map(|t| t[idx].clone()).unwrap_or_default()),
                        }
                    }
                    None => {
                        let d = match &tuples {
                            Some(t) => Data::T(vec![t[idx].clone()]),
                            None => Data::V(ctx.clone()),
                        };
                        groups.insert(key, (d, pi));
                    }
                }
            }
        }
        let mut result = Object::with_capacity(groups.len());
        for (key, (data, ei)) in groups {
            let (ctx, env) = match data {
                Data::V(v) => (v, frame),
                Data::T(ts) => {
                    let merged = reduce_tuples(ts);
                    let ctx = merged.context();
                    let mut rest = merged;
                    rest.bindings.retain(|(k, _)| &**k != "@");
                    (ctx, self.tuple_frame(frame, &rest))
                }
            };
            let v = self.eval(&pairs[ei].1, &ctx, env)?;
            if !v.is_undefined() {
                result.insert(key, v);
            }
        }
        Ok(Value::object(result))
    }
}

fn reduce_tuples<'a>(ts: Vec<Tuple<'a>>) -> Tuple<'a> {
    let mut it = ts.into_iter();
    let mut result = it.next().unwrap_or_default();
    for t in it {
        for (k, v) in t.bindings {
            let prev = result.get(&k).cloned().unwrap_or_default();
            result.set(&k, append(prev, v));
        }
    }
    result
}

/// jsonata-js's merge sort: `gt(a, b)` true means `a` goes after `b`; stable otherwise.
pub(crate) fn merge_sort<T: Clone>(items: Vec<T>, gt: &dyn Fn(T, T) -> Result<bool>) -> Result<Vec<T>> {
    if items.len() <= 1 {
        return Ok(items);
    }
    let mid = items.len() / 2;
    let right = merge_sort(items[mid..].to_vec(), gt)?;
    let left = merge_sort(items[..mid].to_vec(), gt)?;
    let mut out = Vec::with_capacity(left.len() + right.len());
    let (mut i, mut j) = (0, 0);
    while i < left.len() && j < right.len() {
        if gt(left[i].clone(), right[j].clone())? {
            out.push(right[j].clone());
            j += 1;
        } else {
            out.push(left[i].clone());
            i += 1;
        }
    }
    out.extend_from_slice(&left[i..]);
    out.extend_from_slice(&right[j..]);
    Ok(out)
}
