//! Function values and their application: lambdas (with tail-call thunks), built-ins,
//! partial application, regex matchers, transforms and `~>` chains.

use std::rc::Rc;

use super::{Ctx, FrameId};
use crate::ast::{Kind, LambdaDef, Node, RegexLit};
use crate::error::{Err, Error, Result};
use crate::functions::Builtin;
use crate::value::{Object, Str, Value};

pub(crate) enum Func<'a> {
    Lambda {
        def: &'a LambdaDef,
        input: Value<'a>,
        frame: FrameId,
    },
    Builtin(&'static Builtin),
    /// Partial application; `None` args are the `?` placeholders still to fill.
    Partial {
        func: Rc<Func<'a>>,
        args: Vec<Option<Value<'a>>>,
    },
    Regex(&'a RegexLit),
    /// The `next` function of a regex match result.
    RegexNext {
        re: &'a RegexLit,
        text: Rc<str>,
        from: usize,
    },
    Transform {
        pattern: &'a Node,
        update: &'a Node,
        delete: Option<&'a Node>,
        frame: FrameId,
        pos: usize,
    },
    Chain(Value<'a>, Value<'a>),
}

impl std::fmt::Debug for Func<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<function>")
    }
}

impl Func<'_> {
    /// Declared parameter count, used by higher-order functions to decide what to pass.
    pub(crate) fn arity(&self) -> usize {
        match self {
            Func::Lambda { def, .. } => def.params.len(),
            Func::Builtin(b) => b.arity(),
            Func::Partial { args, .. } => args.iter().filter(|a| a.is_none()).count(),
            Func::Regex(_) => 1,
            Func::RegexNext { .. } => 0,
            Func::Transform { .. } => 1,
            Func::Chain(..) => 1,
        }
    }
}

fn proc_name(proc: &Node) -> Option<String> {
    match &proc.kind {
        Kind::Path { steps, .. } => match &steps[0].kind {
            Kind::Name(n) | Kind::Var(n) => Some(n.clone()),
            _ => None,
        },
        Kind::Var(n) => Some(n.clone()),
        _ => None,
    }
}

pub(crate) fn is_thunk(v: &Value<'_>) -> bool {
    thunk_of(v).is_some()
}

/// The pieces of a tail-call thunk, if `v` is one.
fn thunk_of<'a>(v: &Value<'a>) -> Option<(&'a LambdaDef, Value<'a>, FrameId)> {
    match v {
        Value::Func(func) => match &**func {
            Func::Lambda { def, input, frame } if def.thunk => Some((*def, input.clone(), *frame)),
            _ => None,
        },
        _ => None,
    }
}

fn with_token(mut e: Error, pos: usize, name: &Option<String>) -> Error {
    if e.position.is_none() {
        e.position = Some(pos);
    }
    if e.token.is_none() {
        e.token = name.clone();
    }
    e
}

impl<'a> Ctx<'a> {
    pub(super) fn eval_function(
        &self,
        node: &'a Node,
        proc: &'a Node,
        args: &'a [Node],
        input: &Value<'a>,
        frame: FrameId,
        apply_to: Option<Value<'a>>,
    ) -> Result<Value<'a>> {
        let f = self.eval(proc, input, frame)?;
        let name = proc_name(proc);
        if f.is_undefined()
            && proc.is_path()
            && let Some(n) = &name
            && !self.lookup(frame, n).is_undefined()
        {
            return Err(Err::new("T1005").pos(node.pos).token(n.clone()).build());
        }
        let mut evaluated = Vec::with_capacity(args.len() + 1);
        if let Some(c) = apply_to {
            evaluated.push(c);
        }
        for a in args {
            evaluated.push(self.eval(a, input, frame)?);
        }
        self.apply_named(&f, evaluated, input, name.as_deref())
            .map_err(|e| with_token(e, node.pos, &name))
    }

    pub(super) fn eval_partial(
        &self,
        node: &'a Node,
        proc: &'a Node,
        args: &'a [Option<Node>],
        input: &Value<'a>,
        frame: FrameId,
    ) -> Result<Value<'a>> {
        let mut evaluated = Vec::with_capacity(args.len());
        for a in args {
            evaluated.push(match a {
                Some(a) => Some(self.eval(a, input, frame)?),
                None => None,
            });
        }
        let f = self.eval(proc, input, frame)?;
        let name = proc_name(proc);
        if f.is_undefined()
            && proc.is_path()
            && let Some(n) = &name
            && !self.lookup(frame, n).is_undefined()
        {
            return Err(Err::new("T1007").pos(node.pos).token(n.clone()).build());
        }
        match f {
            Value::Func(func) if !matches!(*func, Func::Regex(_)) => {
                Ok(Value::Func(Rc::new(Func::Partial { func, args: evaluated })))
            }
            _ => Err(Err::new("T1008").pos(node.pos).token(name.unwrap_or_default()).build()),
        }
    }

    pub(super) fn eval_apply(
        &self,
        node: &'a Node,
        lhs: &'a Node,
        rhs: &'a Node,
        input: &Value<'a>,
        frame: FrameId,
    ) -> Result<Value<'a>> {
        let l = self.eval(lhs, input, frame)?;
        if let Kind::Function { proc, args } = &rhs.kind {
            return self.eval_function(rhs, proc, args, input, frame, Some(l));
        }
        let f = self.eval(rhs, input, frame)?;
        if !f.is_function() {
            return Err(Err::new("T2006").pos(node.pos).value_json(f.to_json_text()).build());
        }
        if l.is_function() {
            return Ok(Value::Func(Rc::new(Func::Chain(l, f))));
        }
        self.apply(&f, vec![l], input)
    }

    /// Apply a function value, trampolining tail-call thunks.
    pub(crate) fn apply(&self, f: &Value<'a>, args: Vec<Value<'a>>, input: &Value<'a>) -> Result<Value<'a>> {
        self.apply_named(f, args, input, None)
    }

    fn apply_named(
        &self,
        f: &Value<'a>,
        args: Vec<Value<'a>>,
        input: &Value<'a>,
        name: Option<&str>,
    ) -> Result<Value<'a>> {
        let mark = self.frame_mark();
        let mut result = self.apply_inner(f, args, input, name)?;
        while let Some((def, tinput, tframe)) = thunk_of(&result) {
            let Kind::Function { proc, args } = &def.body.kind else {
                break;
            };
            let n = self.tail_calls.get() + 1;
            if n > super::MAX_TAIL_CALLS {
                return Err(Err::new("U1001").pos(def.body.pos).build());
            }
            self.tail_calls.set(n);
            let next = self.eval(proc, &tinput, tframe)?;
            let mut evaluated = Vec::with_capacity(args.len());
            for a in args {
                evaluated.push(self.eval(a, &tinput, tframe)?);
            }
            // The thunk's frames are no longer needed once its call is set up.
            self.release_since(mark);
            let pname = proc_name(proc);
            result = self
                .apply_inner(&next, evaluated, &tinput, pname.as_deref())
                .map_err(|e| with_token(e, def.body.pos, &pname))?;
        }
        self.release_since(mark);
        Ok(result)
    }

    fn apply_inner(
        &self,
        f: &Value<'a>,
        args: Vec<Value<'a>>,
        input: &Value<'a>,
        name: Option<&str>,
    ) -> Result<Value<'a>> {
        let Value::Func(func) = f else {
            return Err(Err::new("T1006").build());
        };
        match &**func {
            Func::Lambda {
                def,
                input: linput,
                frame,
            } => {
                let args = match &def.signature {
                    Some(sig) => sig.validate(args, input, name)?,
                    None => args,
                };
                let env = self.new_frame(*frame);
                let mut args = args.into_iter();
                for p in &def.params {
                    self.bind(env, Str::B(p), args.next().unwrap_or_default());
                }
                if def.thunk {
                    // A thunk is returned unevaluated to the trampoline in `apply_named`.
                    return Ok(Value::Func(Rc::new(Func::Lambda {
                        def,
                        input: linput.clone(),
                        frame: env,
                    })));
                }
                self.eval(&def.body, linput, env)
            }
            Func::Builtin(b) => {
                let args = b.signature().validate(args, input, Some(name.unwrap_or(b.name)))?;
                (b.func)(self, args, input)
            }
            Func::Partial {
                func: inner,
                args: bound,
            } => {
                let mut supplied = args.into_iter();
                let full: Vec<Value<'a>> = bound
                    .iter()
                    .map(|a| match a {
                        Some(v) => v.clone(),
                        None => supplied.next().unwrap_or_default(),
                    })
                    .collect();
                self.apply_named(&Value::Func(inner.clone()), full, input, name)
            }
            Func::Regex(re) => {
                let text = match args.first() {
                    Some(Value::Str(s)) => Rc::<str>::from(&**s),
                    _ => return Ok(Value::Undefined),
                };
                Ok(crate::functions::regex::match_object(re, text, 0)?)
            }
            Func::RegexNext { re, text, from } => crate::functions::regex::match_next(re, text.clone(), *from),
            Func::Transform {
                pattern,
                update,
                delete,
                frame,
                pos,
            } => {
                let obj = args.into_iter().next().unwrap_or_default();
                self.transform(obj, pattern, update, *delete, *frame, *pos)
            }
            Func::Chain(a, b) => {
                let mid = self.apply(a, args, input)?;
                self.apply(b, vec![mid], input)
            }
        }
    }

    /// `| pattern | update, delete |` applied to `obj` (on a deep copy, as `$clone` does).
    fn transform(
        &self,
        obj: Value<'a>,
        pattern: &'a Node,
        update: &'a Node,
        delete: Option<&'a Node>,
        frame: FrameId,
        pos: usize,
    ) -> Result<Value<'a>> {
        if obj.is_undefined() {
            return Ok(Value::Undefined);
        }
        if !self.lookup(frame, "clone").is_function() {
            return Err(Err::new("T2013").pos(pos).build());
        }
        let cloned = deep_clone(&obj);
        let matches = self.eval(pattern, &cloned, frame)?;
        let matches = if matches.is_array() {
            matches.to_vec()
        } else if matches.is_undefined() {
            vec![]
        } else {
            vec![matches]
        };
        // Updates are computed against each match, then applied by object identity while
        // rebuilding the copy (values are immutable here, unlike jsonata-js's in-place edits).
        let mut edits: Vec<(*const Object<'a>, Option<Value<'a>>, Vec<String>)> = Vec::new();
        for m in &matches {
            let upd = self.eval(update, m, frame)?;
            if !upd.is_undefined() && !upd.is_object() {
                return Err(Err::new("T2011").pos(update.pos).value_json(upd.to_json_text()).build());
            }
            let mut dels = Vec::new();
            if let Some(d) = delete {
                let dv = self.eval(d, m, frame)?;
                if !dv.is_undefined() {
                    let list = if dv.is_array() { dv.to_vec() } else { vec![dv.clone()] };
                    for item in list {
                        match item {
                            Value::Str(s) => dels.push(s.to_string()),
                            _ => {
                                return Err(Err::new("T2012").pos(d.pos).value_json(dv.to_json_text()).build());
                            }
                        }
                    }
                }
            }
            if let Value::Object(o) = m {
                edits.push((Rc::as_ptr(o), (!upd.is_undefined()).then_some(upd), dels));
            }
        }
        Ok(apply_edits(&cloned, &edits))
    }
}

/// Deep copy into owned containers so every object has its own identity.
pub(crate) fn deep_clone<'a>(v: &Value<'a>) -> Value<'a> {
    stacker::maybe_grow(32 * 1024, 1024 * 1024, || deep_clone_inner(v))
}

fn deep_clone_inner<'a>(v: &Value<'a>) -> Value<'a> {
    match v {
        Value::JArray(_) | Value::Array(_) => Value::array_of(v.members().map(|m| deep_clone(&m)).collect()),
        Value::JObject(_) | Value::Object(_) => {
            Value::object(v.entries().into_iter().map(|(k, x)| (k, deep_clone(&x))).collect())
        }
        other => other.clone(),
    }
}

type Edit<'a> = (*const Object<'a>, Option<Value<'a>>, Vec<String>);

fn apply_edits<'a>(v: &Value<'a>, edits: &[Edit<'a>]) -> Value<'a> {
    stacker::maybe_grow(32 * 1024, 1024 * 1024, || apply_edits_inner(v, edits))
}

fn apply_edits_inner<'a>(v: &Value<'a>, edits: &[Edit<'a>]) -> Value<'a> {
    match v {
        Value::Array(a) => Value::with_flags(a.items.iter().map(|m| apply_edits(m, edits)).collect(), a.flags),
        Value::Object(o) => {
            let ptr = Rc::as_ptr(o);
            let mut out: Object<'a> = o.iter().map(|(k, x)| (k.clone(), apply_edits(x, edits))).collect();
            for (p, upd, dels) in edits {
                if *p != ptr {
                    continue;
                }
                if let Some(u) = upd {
                    for (k, x) in u.entries() {
                        out.insert(k, x);
                    }
                }
                for d in dels {
                    out.shift_remove(d);
                }
            }
            Value::object(out)
        }
        other => other.clone(),
    }
}
