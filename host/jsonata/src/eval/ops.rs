//! Binary operators: arithmetic, comparison, equality, boolean, concatenation, range, `in`.

use super::{Ctx, FrameId};
use crate::ast::{BinOp, Node};
use crate::error::{Err, Result};
use crate::functions::string::to_js_string;
use crate::value::{Value, check_finite, deep_equal, truthy};

/// jsonata-js caps `..` sequences at 1e7 items (its message says 1e6).
const MAX_RANGE: f64 = 1e7;

fn num_operand<'a>(v: &Value<'a>, code: &'static str, op: BinOp, pos: usize) -> Result<Option<f64>> {
    match v {
        Value::Undefined => Ok(None),
        Value::Number(n) => Ok(Some(check_finite(*n).map_err(|e| e.at(pos))?)),
        other => Err(Err::new(code)
            .pos(pos)
            .token(op.symbol())
            .value_json(other.to_json_text())
            .build()),
    }
}

impl<'a> Ctx<'a> {
    pub(super) fn eval_binary(
        &self,
        op: BinOp,
        lhs: &'a Node,
        rhs: &'a Node,
        pos: usize,
        input: &Value<'a>,
        frame: FrameId,
    ) -> Result<Value<'a>> {
        let l = self.eval(lhs, input, frame)?;
        match op {
            BinOp::And => {
                let lb = truthy(&l).unwrap_or(false);
                if !lb {
                    return Ok(Value::Bool(false));
                }
                let r = self.eval(rhs, input, frame)?;
                return Ok(Value::Bool(truthy(&r).unwrap_or(false)));
            }
            BinOp::Or => {
                if truthy(&l).unwrap_or(false) {
                    return Ok(Value::Bool(true));
                }
                let r = self.eval(rhs, input, frame)?;
                return Ok(Value::Bool(truthy(&r).unwrap_or(false)));
            }
            _ => {}
        }
        let r = self.eval(rhs, input, frame)?;
        binary(op, &l, &r, pos)
    }
}

/// Apply a non-short-circuit binary operator to evaluated operands.
pub(crate) fn binary<'a>(op: BinOp, l: &Value<'a>, r: &Value<'a>, pos: usize) -> Result<Value<'a>> {
    Ok(match op {
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod => {
            let a = num_operand(l, "T2001", op, pos)?;
            let b = num_operand(r, "T2002", op, pos)?;
            let (Some(a), Some(b)) = (a, b) else {
                return Ok(Value::Undefined);
            };
            Value::Number(match op {
                BinOp::Add => a + b,
                BinOp::Sub => a - b,
                BinOp::Mul => a * b,
                BinOp::Div => a / b,
                _ => a % b,
            })
        }
        BinOp::Eq | BinOp::Ne => {
            if l.is_undefined() || r.is_undefined() {
                return Ok(Value::Bool(false));
            }
            let eq = deep_equal(l, r);
            Value::Bool(if op == BinOp::Eq { eq } else { !eq })
        }
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => compare(op, l, r, pos)?,
        BinOp::Concat => {
            let text = |v: &Value<'a>| -> Result<String> {
                if v.is_undefined() {
                    Ok(String::new())
                } else {
                    to_js_string(v, false).map_err(|e| e.at(pos))
                }
            };
            let (a, b) = (text(l)?, text(r)?);
            crate::functions::string::check_len((a.len() + b.len()) as f64).map_err(|e| e.at(pos))?;
            Value::string(a + &b)
        }
        BinOp::Range => range(l, r, pos)?,
        BinOp::In => {
            if l.is_undefined() || r.is_undefined() {
                return Ok(Value::Bool(false));
            }
            // jsonata-js uses `===`: scalars by value, containers never match.
            let strict = |x: &Value<'_>| match (l, x) {
                (Value::Number(a), Value::Number(b)) => a == b,
                (Value::Str(a), Value::Str(b)) => **a == **b,
                (Value::Bool(a), Value::Bool(b)) => a == b,
                (Value::Null, Value::Null) => true,
                _ => false,
            };
            if r.is_array() {
                Value::Bool(r.members().any(|m| strict(&m)))
            } else {
                Value::Bool(strict(r))
            }
        }
        BinOp::And | BinOp::Or => Value::Bool(truthy(l).unwrap_or(false) && truthy(r).unwrap_or(false)),
    })
}

fn compare<'a>(op: BinOp, l: &Value<'a>, r: &Value<'a>, pos: usize) -> Result<Value<'a>> {
    let comparable = |v: &Value<'_>| matches!(v, Value::Undefined | Value::Str(_) | Value::Number(_));
    if !comparable(l) || !comparable(r) {
        let bad = if !matches!(l, Value::Str(_) | Value::Number(_)) {
            l
        } else {
            r
        };
        return Err(Err::new("T2010")
            .pos(pos)
            .token(op.symbol())
            .value_json(bad.to_json_text())
            .build());
    }
    if l.is_undefined() || r.is_undefined() {
        return Ok(Value::Undefined);
    }
    let ord = match (l, r) {
        (Value::Number(a), Value::Number(b)) => {
            check_finite(*a)?;
            check_finite(*b)?;
            a.partial_cmp(b)
        }
        (Value::Str(a), Value::Str(b)) => Some(crate::functions::string::js_cmp(a, b)),
        _ => {
            return Err(Err::new("T2009")
                .pos(pos)
                .token(op.symbol())
                .value_json(l.to_json_text())
                .value2_json(r.to_json_text())
                .build());
        }
    };
    let Some(ord) = ord else {
        return Ok(Value::Bool(false));
    };
    use std::cmp::Ordering::*;
    Ok(Value::Bool(match op {
        BinOp::Lt => ord == Less,
        BinOp::Le => ord != Greater,
        BinOp::Gt => ord == Greater,
        _ => ord != Less,
    }))
}

fn range<'a>(l: &Value<'a>, r: &Value<'a>, pos: usize) -> Result<Value<'a>> {
    let int = |v: &Value<'_>, code: &'static str| -> Result<Option<f64>> {
        match v {
            Value::Undefined => Ok(None),
            Value::Number(n) if n.fract() == 0.0 && n.is_finite() => Ok(Some(*n)),
            other => Err(Err::new(code)
                .pos(pos)
                .token("..")
                .value_json(other.to_json_text())
                .build()),
        }
    };
    let a = int(l, "T2003")?;
    let b = int(r, "T2004")?;
    let (Some(a), Some(b)) = (a, b) else {
        return Ok(Value::Undefined);
    };
    if a > b {
        return Ok(Value::Undefined);
    }
    let size = b - a + 1.0;
    if size > MAX_RANGE {
        let v = crate::numfmt::js_number_to_string(size);
        return Err(Err::new("D2014").pos(pos).token("..").value_json(v).build());
    }
    let items = (0..size as i64).map(|i| Value::Number(a + i as f64)).collect();
    Ok(Value::seq(items))
}
