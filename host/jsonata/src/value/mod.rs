//! The evaluator's value type. Input and variables are borrowed (`JArray`/`JObject`/`Str::B`)
//! so that reading a field never copies JSON; only constructed values are allocated.

use std::rc::Rc;

use indexmap::IndexMap;
use serde_json::Value as J;

use crate::error::{Err, Result, UNSUPPORTED_RESULT};
use crate::eval::func::Func;
use crate::numfmt::js_number_to_string;

mod json;

use json::{copy_json, plain_json_array, plain_json_object, self_json};
pub(crate) use json::{js_order, number_to_json, write_json};

/// A string that is either borrowed from the input/expression or owned by the evaluation.
#[derive(Clone, Debug)]
pub(crate) enum Str<'a> {
    B(&'a str),
    O(Rc<str>),
}

impl std::ops::Deref for Str<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            Str::B(s) => s,
            Str::O(s) => s,
        }
    }
}

/// Array flags mirroring jsonata-js's ad-hoc properties on JS arrays.
pub(crate) const SEQUENCE: u8 = 1;
pub(crate) const KEEP_SINGLETON: u8 = 2;
pub(crate) const CONS: u8 = 4;
pub(crate) const OUTER_WRAPPER: u8 = 8;

#[derive(Clone, Debug, Default)]
pub(crate) struct Array<'a> {
    pub items: Vec<Value<'a>>,
    pub flags: u8,
}

/// An object built during evaluation (insertion-ordered, like JS objects).
#[derive(Clone, Debug, Default)]
pub(crate) struct Object<'a>(pub IndexMap<String, Value<'a>>);

impl<'a> Object<'a> {
    pub(crate) fn new() -> Object<'a> {
        Object(IndexMap::new())
    }
    pub(crate) fn with_capacity(n: usize) -> Object<'a> {
        Object(IndexMap::with_capacity(n))
    }
}

impl<'a> std::ops::Deref for Object<'a> {
    type Target = IndexMap<String, Value<'a>>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Object<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl<'a> FromIterator<(String, Value<'a>)> for Object<'a> {
    fn from_iter<I: IntoIterator<Item = (String, Value<'a>)>>(iter: I) -> Self {
        Object(iter.into_iter().collect())
    }
}

/// Take apart uniquely-owned nested containers iteratively, so dropping a value nested
/// arbitrarily deep (which an expression can build) cannot overflow the stack.
fn drop_iteratively<'a>(mut stack: Vec<Value<'a>>) {
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(rc) => {
                if let Ok(mut a) = Rc::try_unwrap(rc) {
                    stack.append(&mut a.items);
                }
            }
            Value::Object(rc) => {
                if let Ok(mut o) = Rc::try_unwrap(rc) {
                    stack.extend(o.0.drain(..).map(|(_, v)| v));
                }
            }
            _ => {}
        }
    }
}

impl Drop for Array<'_> {
    fn drop(&mut self) {
        if self
            .items
            .iter()
            .any(|v| matches!(v, Value::Array(_) | Value::Object(_)))
        {
            drop_iteratively(std::mem::take(&mut self.items));
        }
    }
}

impl Drop for Object<'_> {
    fn drop(&mut self) {
        if self.0.values().any(|v| matches!(v, Value::Array(_) | Value::Object(_))) {
            drop_iteratively(self.0.drain(..).map(|(_, v)| v).collect());
        }
    }
}

/// Deepest nesting converted to a `serde_json::Value` result (whose own drop is recursive).
pub(crate) const MAX_RESULT_DEPTH: usize = 500;

/// One tuple of a tuple stream: `@` (the context) plus the bound focus/index/ancestor names.
#[derive(Clone, Debug, Default)]
pub(crate) struct Tuple<'a> {
    pub bindings: Vec<(Rc<str>, Value<'a>)>,
}

impl<'a> Tuple<'a> {
    pub(crate) fn get(&self, name: &str) -> Option<&Value<'a>> {
        self.bindings.iter().rev().find(|(k, _)| &**k == name).map(|(_, v)| v)
    }
    pub(crate) fn context(&self) -> Value<'a> {
        self.get("@").cloned().unwrap_or(Value::Undefined)
    }
    pub(crate) fn set(&mut self, name: &str, v: Value<'a>) {
        if let Some(slot) = self.bindings.iter_mut().find(|(k, _)| &**k == name) {
            slot.1 = v;
        } else {
            self.bindings.push((Rc::from(name), v));
        }
    }
}

#[derive(Clone, Debug, Default)]
pub(crate) enum Value<'a> {
    #[default]
    Undefined,
    Null,
    Bool(bool),
    Number(f64),
    Str(Str<'a>),
    JArray(&'a Vec<J>),
    JObject(&'a serde_json::Map<String, J>),
    Array(Rc<Array<'a>>),
    Object(Rc<Object<'a>>),
    Func(Rc<Func<'a>>),
    Tuples(Rc<Vec<Tuple<'a>>>),
}

impl<'a> Value<'a> {
    pub(crate) fn from_json(j: &'a J) -> Value<'a> {
        match j {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => Value::Number(n.as_f64().unwrap_or(f64::NAN)),
            J::String(s) => Value::Str(Str::B(s)),
            J::Array(a) => Value::JArray(a),
            J::Object(o) => Value::JObject(o),
        }
    }

    pub(crate) fn string(s: impl Into<Rc<str>>) -> Value<'a> {
        Value::Str(Str::O(s.into()))
    }

    pub(crate) fn array_of(items: Vec<Value<'a>>) -> Value<'a> {
        Value::Array(Rc::new(Array { items, flags: 0 }))
    }

    pub(crate) fn seq(items: Vec<Value<'a>>) -> Value<'a> {
        Value::Array(Rc::new(Array { items, flags: SEQUENCE }))
    }

    pub(crate) fn with_flags(items: Vec<Value<'a>>, flags: u8) -> Value<'a> {
        Value::Array(Rc::new(Array { items, flags }))
    }

    pub(crate) fn object(o: Object<'a>) -> Value<'a> {
        Value::Object(Rc::new(o))
    }

    pub(crate) fn is_undefined(&self) -> bool {
        matches!(self, Value::Undefined)
    }

    pub(crate) fn is_array(&self) -> bool {
        matches!(self, Value::Array(_) | Value::JArray(_))
    }

    pub(crate) fn is_object(&self) -> bool {
        matches!(self, Value::Object(_) | Value::JObject(_))
    }

    pub(crate) fn is_function(&self) -> bool {
        matches!(self, Value::Func(_))
    }

    pub(crate) fn flags(&self) -> u8 {
        match self {
            Value::Array(a) => a.flags,
            _ => 0,
        }
    }

    pub(crate) fn is_sequence(&self) -> bool {
        self.flags() & SEQUENCE != 0
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// Array length, or `None` for non-arrays.
    pub(crate) fn array_len(&self) -> Option<usize> {
        match self {
            Value::Array(a) => Some(a.items.len()),
            Value::JArray(a) => Some(a.len()),
            _ => None,
        }
    }

    /// Item `i` of an array value.
    pub(crate) fn get_index(&self, i: usize) -> Option<Value<'a>> {
        match self {
            Value::Array(a) => a.items.get(i).cloned(),
            Value::JArray(a) => a.get(i).map(Value::from_json),
            _ => None,
        }
    }

    /// The members of an array (borrowed JSON converted lazily), or nothing for non-arrays.
    pub(crate) fn members(&self) -> Members<'a, '_> {
        match self {
            Value::Array(a) => Members::Own(a.items.iter()),
            Value::JArray(a) => Members::Json(a.iter()),
            _ => Members::Empty,
        }
    }

    /// Array items as a vector; a non-array becomes a one-item vector; undefined, empty.
    pub(crate) fn to_vec(&self) -> Vec<Value<'a>> {
        match self {
            Value::Undefined => Vec::new(),
            Value::Array(a) => a.items.clone(),
            Value::JArray(a) => a.iter().map(Value::from_json).collect(),
            v => vec![v.clone()],
        }
    }

    /// Like [`Value::to_vec`] but consuming: an array owned by nobody else gives up its items
    /// without copying them.
    pub(crate) fn into_vec(self) -> Vec<Value<'a>> {
        match self {
            Value::Array(rc) => match Rc::try_unwrap(rc) {
                Ok(mut a) => std::mem::take(&mut a.items),
                Err(rc) => rc.items.clone(),
            },
            other => other.to_vec(),
        }
    }

    /// Field lookup on an object (no array mapping).
    pub(crate) fn get_field(&self, key: &str) -> Value<'a> {
        match self {
            Value::JObject(o) => o.get(key).map(Value::from_json).unwrap_or_default(),
            Value::Object(o) => o.get(key).cloned().unwrap_or_default(),
            _ => Value::Undefined,
        }
    }

    /// Object entries in order.
    pub(crate) fn entries(&self) -> Vec<(String, Value<'a>)> {
        match self {
            Value::JObject(o) => js_order(o.iter())
                .map(|(k, v)| (k.clone(), Value::from_json(v)))
                .collect(),
            Value::Object(o) => js_order(o.iter()).map(|(k, v)| (k.clone(), v.clone())).collect(),
            _ => Vec::new(),
        }
    }

    pub(crate) fn keys(&self) -> Vec<String> {
        match self {
            Value::JObject(o) => js_order(o.iter()).map(|(k, _)| k.clone()).collect(),
            Value::Object(o) => js_order(o.iter()).map(|(k, _)| k.clone()).collect(),
            _ => Vec::new(),
        }
    }

    /// Type symbol used by signature matching.
    pub(crate) fn symbol(&self) -> char {
        match self {
            Value::Undefined | Value::Tuples(_) => 'm',
            Value::Null => 'l',
            Value::Bool(_) => 'b',
            Value::Number(_) => 'n',
            Value::Str(_) => 's',
            Value::JArray(_) | Value::Array(_) => 'a',
            Value::JObject(_) | Value::Object(_) => 'o',
            Value::Func(_) => 'f',
        }
    }

    /// Unwrap jsonata's singleton sequences (the end-of-`evaluate` normalisation).
    pub(crate) fn normalize(self) -> Value<'a> {
        if let Value::Array(a) = &self
            && a.flags & SEQUENCE != 0
        {
            match a.items.len() {
                0 => return Value::Undefined,
                1 if a.flags & KEEP_SINGLETON == 0 => return a.items[0].clone(),
                _ => {}
            }
        }
        self
    }

    /// `JSON.stringify` of the value as used in error messages (`undefined` when undefined).
    pub(crate) fn to_json_text(&self) -> String {
        match self {
            Value::Undefined => "undefined".into(),
            Value::Func(_) => "undefined".into(),
            v => {
                let mut s = String::new();
                write_json(v, &mut s, None, 0, false);
                s
            }
        }
    }

    /// Convert to an owned serde_json value; functions anywhere fail with [`UNSUPPORTED_RESULT`].
    pub(crate) fn to_json(&self) -> Result<Option<J>> {
        self.to_json_at(0)
    }

    fn to_json_at(&self, depth: usize) -> Result<Option<J>> {
        if depth > MAX_RESULT_DEPTH {
            return Err(Err::new("U1001").build());
        }
        stacker::maybe_grow(32 * 1024, 1024 * 1024, || self.to_json_inner(depth))
    }

    fn to_json_inner(&self, depth: usize) -> Result<Option<J>> {
        Ok(match self {
            Value::Undefined => None,
            Value::Null => Some(J::Null),
            Value::Bool(b) => Some(J::Bool(*b)),
            Value::Number(n) => Some(number_to_json(*n)?),
            Value::Str(s) => Some(J::String(s.to_string())),
            Value::JArray(a) if plain_json_array(a, depth) => Some(J::Array((*a).clone())),
            Value::JObject(o) if plain_json_object(o, depth) => Some(J::Object((*o).clone())),
            Value::JArray(_) | Value::JObject(_) => Some(copy_json(self_json(self), depth)?),
            Value::Array(a) => {
                let mut out = Vec::with_capacity(a.items.len());
                for v in &a.items {
                    // JSON.stringify turns undefined array members into null.
                    out.push(v.to_json_at(depth + 1)?.unwrap_or(J::Null));
                }
                Some(J::Array(out))
            }
            Value::Object(o) => {
                let mut out = serde_json::Map::with_capacity(o.len());
                for (k, v) in js_order(o.iter()) {
                    if let Some(j) = v.to_json_at(depth + 1)? {
                        out.insert(k.clone(), j);
                    }
                }
                Some(J::Object(out))
            }
            Value::Func(_) | Value::Tuples(_) => return Err(Err::new(UNSUPPORTED_RESULT).build()),
        })
    }
}

/// Iterator over array members.
pub(crate) enum Members<'a, 'b> {
    Own(std::slice::Iter<'b, Value<'a>>),
    Json(std::slice::Iter<'a, J>),
    Empty,
}

impl<'a> Iterator for Members<'a, '_> {
    type Item = Value<'a>;
    fn next(&mut self) -> Option<Value<'a>> {
        match self {
            Members::Own(i) => i.next().cloned(),
            Members::Json(i) => i.next().map(Value::from_json),
            Members::Empty => None,
        }
    }
}

/// JSONata truthiness (`$boolean`), `None` for undefined.
pub(crate) fn truthy(v: &Value<'_>) -> Option<bool> {
    stacker::maybe_grow(32 * 1024, 1024 * 1024, || truthy_inner(v))
}

fn truthy_inner(v: &Value<'_>) -> Option<bool> {
    Some(match v {
        Value::Undefined => return None,
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => *n != 0.0,
        Value::Str(s) => !s.is_empty(),
        Value::Func(_) => false,
        Value::JObject(o) => !o.is_empty(),
        Value::Object(o) => !o.is_empty(),
        Value::Tuples(t) => !t.is_empty(),
        Value::JArray(_) | Value::Array(_) => {
            let n = v.array_len().unwrap_or(0);
            if n == 1 {
                return truthy(&v.get_index(0).unwrap_or_default());
            }
            v.members().any(|m| truthy(&m) == Some(true))
        }
    })
}

/// jsonata-js `isDeepEqual` (`===` on scalars; functions equal only to themselves).
pub(crate) fn deep_equal(a: &Value<'_>, b: &Value<'_>) -> bool {
    stacker::maybe_grow(32 * 1024, 1024 * 1024, || deep_equal_inner(a, b))
}

fn deep_equal_inner(a: &Value<'_>, b: &Value<'_>) -> bool {
    match (a, b) {
        (Value::Undefined, Value::Undefined) | (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => x == y,
        (Value::Str(x), Value::Str(y)) => **x == **y,
        (Value::Func(x), Value::Func(y)) => Rc::ptr_eq(x, y),
        (x, y) if x.is_array() && y.is_array() => {
            x.array_len() == y.array_len() && x.members().zip(y.members()).all(|(p, q)| deep_equal(&p, &q))
        }
        (x, y) if x.is_object() && y.is_object() => {
            let (xe, ye) = (x.entries(), y.entries());
            xe.len() == ye.len()
                && xe
                    .iter()
                    .all(|(k, v)| ye.iter().find(|(k2, _)| k2 == k).is_some_and(|(_, w)| deep_equal(v, w)))
        }
        _ => false,
    }
}

/// The D1001 check jsonata-js's `isNumeric` performs.
pub(crate) fn check_finite(n: f64) -> Result<f64> {
    if n.is_finite() {
        Ok(n)
    } else {
        Err(Err::new("D1001").value_json(js_number_to_string(n)).build())
    }
}
