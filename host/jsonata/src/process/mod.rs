//! jsonata-js's `processAST`: flatten paths into steps, attach predicates as stages, and
//! resolve `%` parent references to the steps that must record their ancestors.

use std::sync::Arc;

use crate::ast::{BinOp, Group, Kind, LambdaDef, Node, RegexLit, SortTerm, Stage};
use crate::error::{Err, Result};
use crate::parser::{Raw, RawNode};
use crate::signature::Signature;

mod ancestry;

pub(super) struct Slot {
    label: String,
    level: i32,
}

pub(crate) struct Processor {
    slots: Vec<Slot>,
}

/// Parse-and-process entry point.
pub(crate) fn build(src: &str) -> Result<Node> {
    let raw = crate::parser::Parser::parse(src)?;
    let mut p = Processor { slots: Vec::new() };
    let mut node = p.process(raw)?;
    if matches!(node.kind, Kind::Parent { .. }) || !node.seeking_parent.is_empty() {
        let tok = if matches!(node.kind, Kind::Parent { .. }) {
            "parent"
        } else {
            "path"
        };
        return Err(Err::new("S0217").pos(node.pos).token(tok).build());
    }
    p.fix_labels(&mut node);
    Ok(node)
}

fn op_of(s: &str) -> Option<BinOp> {
    Some(match s {
        "+" => BinOp::Add,
        "-" => BinOp::Sub,
        "*" => BinOp::Mul,
        "/" => BinOp::Div,
        "%" => BinOp::Mod,
        "=" => BinOp::Eq,
        "!=" => BinOp::Ne,
        "<" => BinOp::Lt,
        "<=" => BinOp::Le,
        ">" => BinOp::Gt,
        ">=" => BinOp::Ge,
        "&" => BinOp::Concat,
        "and" => BinOp::And,
        "or" => BinOp::Or,
        "in" => BinOp::In,
        ".." => BinOp::Range,
        _ => return None,
    })
}

/// Translate a JS regex literal into the `regex` crate's syntax.
pub(crate) fn compile_regex(pattern: &str, flags: &str) -> Result<regex::Regex> {
    let mut prefix = String::new();
    if flags.contains('i') || flags.contains('m') {
        prefix.push_str("(?");
        if flags.contains('i') {
            prefix.push('i');
        }
        if flags.contains('m') {
            prefix.push('m');
        }
        prefix.push(')');
    }
    // JS allows `\/` and `(?<name>` (both accepted by the regex crate); `\d` in JS is ASCII-only.
    let translated = pattern.replace("\\d", "[0-9]");
    regex::Regex::new(&format!("{prefix}{translated}"))
        .map_err(|_| Err::new("S0201").token(pattern.to_string()).build())
}

impl Processor {
    fn steps_mut(n: &mut Node) -> &mut Vec<Node> {
        match &mut n.kind {
            Kind::Path { steps, .. } => steps,
            _ => unreachable!("steps_mut on a non-path"),
        }
    }

    fn tail_call_optimize(expr: Node) -> Node {
        let mut expr = expr;
        match &mut expr.kind {
            Kind::Function { .. } if expr.predicate.is_empty() => {
                let pos = expr.pos;
                let def = LambdaDef {
                    params: Vec::new(),
                    signature: None,
                    body: expr,
                    thunk: true,
                };
                return Node::new(Kind::Lambda(Arc::new(def)), pos);
            }
            Kind::Condition { then, els, .. } => {
                let t = std::mem::replace(&mut **then, Node::new(Kind::Null, 0));
                **then = Self::tail_call_optimize(t);
                if let Some(e) = els {
                    let x = std::mem::replace(&mut **e, Node::new(Kind::Null, 0));
                    **e = Self::tail_call_optimize(x);
                }
            }
            Kind::Block(exprs) => {
                if let Some(last) = exprs.pop() {
                    exprs.push(Self::tail_call_optimize(last));
                }
            }
            _ => {}
        }
        expr
    }

    pub(crate) fn process(&mut self, raw: RawNode) -> Result<Node> {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.process_inner(raw))
    }

    fn process_inner(&mut self, raw: RawNode) -> Result<Node> {
        let pos = raw.pos;
        let keep = raw.keep_array;
        let mut result = match raw.raw {
            Raw::Binary(".", lhs, rhs) => self.path(*lhs, *rhs, pos)?,
            Raw::Predicate(lhs, rhs) => {
                let mut result = self.process(*lhs)?;
                let predicate = self.process(*rhs)?;
                let is_path = result.is_path();
                let step: &mut Node = if is_path {
                    Self::steps_mut(&mut result).last_mut().expect("path has steps")
                } else {
                    &mut result
                };
                if step.group.is_some() {
                    return Err(Err::new("S0209").pos(pos).build());
                }
                if !predicate.seeking_parent.is_empty() {
                    for slot in predicate.seeking_parent.clone() {
                        if self.slots[slot].level == 1 {
                            self.seek_parent(step, slot)?;
                        } else {
                            self.slots[slot].level -= 1;
                        }
                    }
                    Self::push_ancestry(step, &predicate);
                }
                if is_path {
                    step.stages.push(Stage::Filter(predicate));
                } else {
                    step.predicate.push(predicate);
                }
                result
            }
            Raw::Group(lhs, pairs) => {
                let mut result = self.process(*lhs)?;
                if result.group.is_some() {
                    return Err(Err::new("S0210").pos(pos).build());
                }
                let mut ps = Vec::new();
                for (k, v) in pairs {
                    ps.push((self.process(k)?, self.process(v)?));
                }
                result.group = Some(Box::new(Group { pairs: ps, pos }));
                result
            }
            Raw::Sort(lhs, terms) => {
                let mut result = self.process(*lhs)?;
                if !result.is_path() {
                    let p = result.pos;
                    result = Node::new(
                        Kind::Path {
                            steps: vec![result],
                            keep_singleton: false,
                        },
                        p,
                    );
                }
                let mut sort = Node::new(Kind::Sort { terms: Vec::new() }, pos);
                let mut ts = Vec::new();
                for (descending, e) in terms {
                    let expr = self.process(e)?;
                    Self::push_ancestry(&mut sort, &expr);
                    ts.push(SortTerm { descending, expr });
                }
                sort.kind = Kind::Sort { terms: ts };
                Self::steps_mut(&mut result).push(sort);
                self.resolve_ancestry(&mut result)?;
                result
            }
            Raw::Binary(":=", lhs, rhs) => {
                let Raw::Var(name) = lhs.raw else {
                    return Err(Err::new("S0212").pos(pos).build());
                };
                let rhs = self.process(*rhs)?;
                let mut n = Node::new(
                    Kind::Bind {
                        name,
                        rhs: Box::new(Node::new(Kind::Null, 0)),
                    },
                    pos,
                );
                Self::push_ancestry(&mut n, &rhs);
                n.kind = match n.kind {
                    Kind::Bind { name, .. } => Kind::Bind {
                        name,
                        rhs: Box::new(rhs),
                    },
                    k => k,
                };
                n
            }
            Raw::Binary("@", lhs, rhs) => {
                let Raw::Var(name) = rhs.raw else {
                    return Err(Err::new("S0214").pos(pos).token("@").build());
                };
                let mut result = self.process(*lhs)?;
                let is_path = result.is_path();
                let step: &mut Node = if is_path {
                    Self::steps_mut(&mut result).last_mut().expect("steps")
                } else {
                    &mut result
                };
                if !step.stages.is_empty() || !step.predicate.is_empty() {
                    return Err(Err::new("S0215").pos(pos).build());
                }
                if matches!(step.kind, Kind::Sort { .. }) {
                    return Err(Err::new("S0216").pos(pos).build());
                }
                if keep {
                    step.keep_array = true;
                }
                step.focus = Some(name);
                step.tuple = true;
                result
            }
            Raw::Binary("#", lhs, rhs) => {
                let Raw::Var(name) = rhs.raw else {
                    return Err(Err::new("S0214").pos(pos).token("#").build());
                };
                let mut result = self.process(*lhs)?;
                if !result.is_path() {
                    let p = result.pos;
                    let preds = std::mem::take(&mut result.predicate);
                    result.stages.extend(preds.into_iter().map(Stage::Filter));
                    result = Node::new(
                        Kind::Path {
                            steps: vec![result],
                            keep_singleton: false,
                        },
                        p,
                    );
                }
                let step = Self::steps_mut(&mut result).last_mut().expect("steps");
                if step.stages.is_empty() {
                    step.index = Some(name);
                } else {
                    step.stages.push(Stage::Index(name));
                }
                step.tuple = true;
                result
            }
            Raw::Binary("~>", lhs, rhs) => {
                let lhs = self.process(*lhs)?;
                let rhs = self.process(*rhs)?;
                let ka = lhs.keep_array || rhs.keep_array;
                let mut n = Node::new(
                    Kind::Apply {
                        lhs: Box::new(lhs),
                        rhs: Box::new(rhs),
                    },
                    pos,
                );
                n.keep_array = ka;
                n
            }
            Raw::Binary(op, lhs, rhs) => {
                let lhs = self.process(*lhs)?;
                let rhs = self.process(*rhs)?;
                let Some(op) = op_of(op) else {
                    return Err(Err::new("S0204").pos(pos).token(op).build());
                };
                let mut n = Node::new(Kind::Null, pos);
                Self::push_ancestry(&mut n, &lhs);
                Self::push_ancestry(&mut n, &rhs);
                n.kind = Kind::Binary {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                };
                n
            }
            Raw::Array(items) => {
                let mut n = Node::new(Kind::Null, pos);
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    let v = self.process(i)?;
                    Self::push_ancestry(&mut n, &v);
                    out.push(v);
                }
                n.kind = Kind::Array(out);
                n
            }
            Raw::Object(pairs) => {
                let mut n = Node::new(Kind::Null, pos);
                let mut out = Vec::with_capacity(pairs.len());
                for (k, v) in pairs {
                    let k = self.process(k)?;
                    Self::push_ancestry(&mut n, &k);
                    let v = self.process(v)?;
                    Self::push_ancestry(&mut n, &v);
                    out.push((k, v));
                }
                n.kind = Kind::Object(out);
                n
            }
            Raw::Neg(e) => {
                let e = self.process(*e)?;
                if let Kind::Num(v) = e.kind {
                    Node::new(Kind::Num(-v), e.pos)
                } else {
                    let mut n = Node::new(Kind::Null, pos);
                    Self::push_ancestry(&mut n, &e);
                    n.kind = Kind::Neg(Box::new(e));
                    n
                }
            }
            Raw::Function(proc, args, partial) => {
                let mut n = Node::new(Kind::Null, pos);
                let mut out = Vec::with_capacity(args.len());
                for a in args {
                    let v = self.process(a)?;
                    Self::push_ancestry(&mut n, &v);
                    out.push(v);
                }
                let proc = Box::new(self.process(*proc)?);
                n.kind = if partial {
                    let args = out.into_iter().map(|a| {
                        if matches!(a.kind, Kind::Placeholder) {
                            None
                        } else {
                            Some(a)
                        }
                    });
                    Kind::Partial {
                        proc,
                        args: args.collect(),
                    }
                } else {
                    Kind::Function { proc, args: out }
                };
                n
            }
            Raw::Lambda(params, sig, body) => {
                let signature = match sig {
                    Some(s) => Some(Signature::parse(&s).map_err(|e| e.at(pos))?),
                    None => None,
                };
                let body = Self::tail_call_optimize(self.process(*body)?);
                Node::new(
                    Kind::Lambda(Arc::new(LambdaDef {
                        params,
                        signature,
                        body,
                        thunk: false,
                    })),
                    pos,
                )
            }
            Raw::Condition(c, t, e) => {
                let mut n = Node::new(Kind::Null, pos);
                let c = self.process(*c)?;
                Self::push_ancestry(&mut n, &c);
                let t = self.process(*t)?;
                Self::push_ancestry(&mut n, &t);
                let e = match e {
                    Some(e) => {
                        let e = self.process(*e)?;
                        Self::push_ancestry(&mut n, &e);
                        Some(Box::new(e))
                    }
                    None => None,
                };
                n.kind = Kind::Condition {
                    cond: Box::new(c),
                    then: Box::new(t),
                    els: e,
                };
                n
            }
            Raw::Transform(p, u, d) => {
                let pattern = Box::new(self.process(*p)?);
                let update = Box::new(self.process(*u)?);
                let delete = match d {
                    Some(d) => Some(Box::new(self.process(*d)?)),
                    None => None,
                };
                Node::new(
                    Kind::Transform {
                        pattern,
                        update,
                        delete,
                    },
                    pos,
                )
            }
            Raw::Block(exprs) => {
                let mut n = Node::new(Kind::Null, pos);
                let mut out = Vec::with_capacity(exprs.len());
                for e in exprs {
                    let part = self.process(e)?;
                    Self::push_ancestry(&mut n, &part);
                    let first_cons = match &part.kind {
                        Kind::Path { steps, .. } => steps.first().is_some_and(|s| s.cons_array),
                        _ => false,
                    };
                    if part.cons_array || first_cons {
                        n.cons_array = true;
                    }
                    out.push(part);
                }
                n.kind = Kind::Block(out);
                n
            }
            Raw::Name(name) => {
                let mut step = Node::new(Kind::Name(name), pos);
                step.keep_array = keep;
                Node::new(
                    Kind::Path {
                        steps: vec![step],
                        keep_singleton: keep,
                    },
                    pos,
                )
            }
            Raw::Parent => {
                let slot = self.slots.len();
                self.slots.push(Slot {
                    label: format!("!{slot}"),
                    level: 1,
                });
                Node::new(
                    Kind::Parent {
                        slot,
                        label: String::new(),
                    },
                    pos,
                )
            }
            Raw::Str(s) => Node::new(Kind::Str(s), pos),
            Raw::Num(n) => Node::new(Kind::Num(n), pos),
            Raw::Bool(b) => Node::new(Kind::Bool(b), pos),
            Raw::Null => Node::new(Kind::Null, pos),
            Raw::Wildcard => Node::new(Kind::Wildcard, pos),
            Raw::Descendant => Node::new(Kind::Descendant, pos),
            Raw::Var(v) => Node::new(Kind::Var(v), pos),
            Raw::Regex(p, f) => {
                let regex = compile_regex(&p, &f).map_err(|e| e.at(pos))?;
                Node::new(Kind::Regex(Arc::new(RegexLit { source: p, regex })), pos)
            }
            Raw::Placeholder => Node::new(Kind::Placeholder, pos),
        };
        if keep {
            result.keep_array = true;
        }
        Ok(result)
    }

    fn path(&mut self, lhs: RawNode, rhs: RawNode, _pos: usize) -> Result<Node> {
        let lstep = self.process(lhs)?;
        let lpos = lstep.pos;
        let lparent = match lstep.kind {
            Kind::Parent { slot, .. } => Some(slot),
            _ => None,
        };
        let mut result = if lstep.is_path() {
            lstep
        } else {
            Node::new(
                Kind::Path {
                    steps: vec![lstep],
                    keep_singleton: false,
                },
                lpos,
            )
        };
        if let Some(slot) = lparent {
            result.seeking_parent = vec![slot];
        }
        let mut rest = self.process(rhs)?;
        if let Kind::Path { steps, .. } = rest.kind {
            Self::steps_mut(&mut result).extend(steps);
        } else {
            let preds = std::mem::take(&mut rest.predicate);
            rest.stages.extend(preds.into_iter().map(Stage::Filter));
            Self::steps_mut(&mut result).push(rest);
        }
        let steps = Self::steps_mut(&mut result);
        for step in steps.iter_mut() {
            match &step.kind {
                Kind::Num(n) => {
                    let v = crate::numfmt::js_number_to_string(*n);
                    return Err(Err::new("S0213").pos(step.pos).value_json(v).build());
                }
                Kind::Bool(b) => {
                    return Err(Err::new("S0213").pos(step.pos).value_json(b.to_string()).build());
                }
                Kind::Null => {
                    return Err(Err::new("S0213").pos(step.pos).value_json("null").build());
                }
                Kind::Str(s) => step.kind = Kind::Name(s.clone()),
                _ => {}
            }
        }
        let keep = steps.iter().any(|s| s.keep_array);
        if let Some(first) = steps.first_mut()
            && first.is_array_cons()
        {
            first.cons_array = true;
        }
        if let Some(last) = steps.last_mut()
            && last.is_array_cons()
        {
            last.cons_array = true;
        }
        if keep && let Kind::Path { keep_singleton, .. } = &mut result.kind {
            *keep_singleton = true;
        }
        self.resolve_ancestry(&mut result)?;
        Ok(result)
    }
}
