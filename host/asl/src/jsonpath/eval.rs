//! Evaluation of a parsed path, following Jayway's path tokens.
//!
//! For a definite path the first failure is reported with Jayway's
//! `PathNotFoundException` message (AWS quotes it in cause texts). For an
//! indefinite path AWS returns an empty array whatever went wrong, so failures
//! there just end the branch.

use super::java;
use super::parse::{Body, Segment};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// Jayway's JSON provider, named in one of its messages. Jackson is what AWS's
/// rendering of objects (`{a=1}`, Java's `Map.toString`) points to.
const PROVIDER: &str = "com.jayway.jsonpath.spi.json.JacksonJsonProvider";

/// Every node `body` selects from `start` (`root` is what `$` means inside
/// filters). `Err` carries Jayway's message; only definite paths produce one.
pub(crate) fn evaluate<'a>(body: &Body, start: &'a Value, root: &'a Value) -> Result<Vec<Cow<'a, Value>>, String> {
    evaluate_with_root_char(body, start, root, '$')
}

pub(crate) fn evaluate_with_root_char<'a>(
    body: &Body,
    start: &'a Value,
    root: &'a Value,
    root_char: char,
) -> Result<Vec<Cow<'a, Value>>, String> {
    let mut walker = Walker {
        body,
        root,
        root_char,
        strict: body.definite,
        out: Vec::new(),
    };
    walker.eval(0, start)?;
    Ok(walker.out)
}

struct Walker<'b, 'a> {
    body: &'b Body,
    root: &'a Value,
    root_char: char,
    /// Report failures (definite paths) rather than skip the branch.
    strict: bool,
    out: Vec<Cow<'a, Value>>,
}

impl<'a> Walker<'_, 'a> {
    fn fail(&self, message: impl FnOnce() -> String) -> Result<(), String> {
        if self.strict { Err(message()) } else { Ok(()) }
    }

    /// The path up to segment `i` as Jayway names it while evaluating. Only
    /// called for definite paths, whose segments are single names or indexes.
    fn current_path(&self, i: usize) -> String {
        let mut path = String::from(self.root_char);
        for segment in &self.body.segments[..i] {
            match segment {
                Segment::Property { names, .. } => {
                    path.push_str("['");
                    path.push_str(&names[0]);
                    path.push_str("']");
                }
                Segment::Index(indexes) => path.push_str(&format!("[{}]", indexes[0])),
                _ => {}
            }
        }
        path
    }

    fn eval(&mut self, i: usize, node: &'a Value) -> Result<(), String> {
        let Some(segment) = self.body.segments.get(i) else {
            self.out.push(Cow::Borrowed(node));
            return Ok(());
        };
        let leaf = i + 1 == self.body.segments.len();
        match segment {
            Segment::Property { names, .. } => {
                let Value::Object(map) = node else {
                    return self.fail(|| {
                        format!(
                            "Expected to find an object with property {} in path {} but found '{}'. \
                             This is not a json object according to the JsonProvider: '{PROVIDER}'.",
                            self.body.fragments[i],
                            self.current_path(i),
                            java::class_name(node)
                        )
                    });
                };
                if names.len() > 1 && leaf {
                    // Jayway merges several properties at the leaf into one object.
                    let mut merged = Map::new();
                    for name in names {
                        if let Some(value) = map.get(name) {
                            merged.insert(name.clone(), value.clone());
                        }
                    }
                    self.out.push(Cow::Owned(Value::Object(merged)));
                    return Ok(());
                }
                for name in names {
                    match map.get(name) {
                        Some(value) => self.eval(i + 1, value)?,
                        None if leaf || names.len() > 1 => {}
                        None => {
                            return self
                                .fail(|| format!("Missing property in path {}['{name}']", self.current_path(i)));
                        }
                    }
                }
                Ok(())
            }
            Segment::Index(indexes) => {
                let Some(items) = self.array_model(i, node)? else {
                    return Ok(());
                };
                for &index in indexes {
                    if let Some(item) = element(items, index as i64) {
                        self.eval(i + 1, item)?;
                    }
                }
                Ok(())
            }
            Segment::Slice { from, to } => {
                let Some(items) = self.array_model(i, node)? else {
                    return Ok(());
                };
                for index in slice_indexes(items.len() as i64, *from, *to) {
                    if let Some(item) = element(items, index) {
                        self.eval(i + 1, item)?;
                    }
                }
                Ok(())
            }
            Segment::Wildcard => {
                match node {
                    Value::Object(map) => {
                        for value in map.values() {
                            self.eval(i + 1, value)?;
                        }
                    }
                    Value::Array(items) => {
                        for item in items {
                            self.eval(i + 1, item)?;
                        }
                    }
                    _ => {}
                }
                Ok(())
            }
            Segment::Scan => self.scan(i + 1, node),
            Segment::Filter(filter) => {
                match node {
                    Value::Object(_) if filter.accept(node, self.root) => self.eval(i + 1, node)?,
                    Value::Array(items) => {
                        for item in items {
                            if filter.accept(item, self.root) {
                                self.eval(i + 1, item)?;
                            }
                        }
                    }
                    _ => {}
                }
                Ok(())
            }
            // AWS accepts function syntax but finds nothing for it.
            Segment::Function(_) => Ok(()),
        }
    }

    /// Jayway's `ArrayPathToken.checkArrayModel`: `Ok(None)` skips the branch.
    fn array_model(&self, i: usize, node: &'a Value) -> Result<Option<&'a Vec<Value>>, String> {
        match node {
            Value::Array(items) => Ok(Some(items)),
            Value::Null => self
                .fail(|| format!("The path {} is null", self.current_path(i)))
                .map(|()| None),
            other => self
                .fail(|| {
                    format!(
                        "Filter: {} can only be applied to arrays. Current context is: {}",
                        self.body.fragments[i..].concat(),
                        java::to_display(other)
                    )
                })
                .map(|()| None),
        }
    }

    /// `..target`: applies the target token (and the rest of the path) at
    /// every node, in document order, where Jayway's scan predicate allows it.
    /// The walk uses an explicit stack so deep documents cannot overflow.
    fn scan(&mut self, target: usize, node: &'a Value) -> Result<(), String> {
        let mut stack = vec![node];
        while let Some(current) = stack.pop() {
            if self.scan_matches(target, current) {
                self.eval(target, current)?;
            }
            match current {
                Value::Object(map) => stack.extend(map.values().rev()),
                Value::Array(items) => stack.extend(items.iter().rev()),
                _ => {}
            }
        }
        Ok(())
    }

    fn scan_matches(&self, target: usize, node: &Value) -> bool {
        match &self.body.segments[target] {
            Segment::Property { names, .. } => match node {
                Value::Object(map) => !self.body.segment_definite(target) || names.iter().all(|n| map.contains_key(n)),
                _ => false,
            },
            Segment::Index(_) | Segment::Slice { .. } => node.is_array(),
            Segment::Wildcard => true,
            Segment::Filter(filter) => filter.accept(node, self.root),
            Segment::Scan | Segment::Function(_) => false,
        }
    }
}

/// Jayway's `handleArrayIndex`: negative indexes count from the end; anything
/// out of range selects nothing.
fn element(items: &[Value], index: i64) -> Option<&Value> {
    let effective = if index < 0 { items.len() as i64 + index } else { index };
    usize::try_from(effective).ok().and_then(|i| items.get(i))
}

/// The indexes Jayway's `ArraySliceToken` visits (each then goes through
/// [`element`], so a negative start in `[from:to]` wraps like an index).
fn slice_indexes(len: i64, from: Option<i32>, to: Option<i32>) -> std::ops::Range<i64> {
    match (from, to) {
        (Some(from), None) => {
            let mut from = from as i64;
            if from < 0 {
                from += len;
            }
            from.max(0)..len
        }
        (Some(from), Some(to)) => {
            let to = (to as i64).min(len);
            let from = from as i64;
            if from >= to || len == 0 { 0..0 } else { from..to }
        }
        (None, Some(to)) => {
            if len == 0 {
                return 0..0;
            }
            let mut to = to as i64;
            if to < 0 {
                to += len;
            }
            0..to.min(len).max(0)
        }
        (None, None) => 0..0,
    }
}
