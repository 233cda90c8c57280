//! Object, type and control functions (`$keys`, `$merge`, `$type`, `$error`, `$eval`...).

use super::arg;
use crate::error::{Err, Error, Result};
use crate::eval::Ctx;
use crate::eval::func::deep_clone;
use crate::value::{OUTER_WRAPPER, Object, Value, truthy};

pub(crate) fn boolean<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    Ok(truthy(&arg(&args, 0)).map(Value::Bool).unwrap_or_default())
}

pub(crate) fn not<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    Ok(truthy(&arg(&args, 0)).map(|b| Value::Bool(!b)).unwrap_or_default())
}

fn keys_of(v: &Value<'_>, out: &mut Vec<String>) {
    if v.is_array() {
        for m in v.members() {
            keys_of(&m, out);
        }
    } else {
        for k in v.keys() {
            if !out.contains(&k) {
                out.push(k);
            }
        }
    }
}

pub(crate) fn keys<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    let mut out = Vec::new();
    keys_of(&arg(&args, 0), &mut out);
    Ok(Value::seq(out.into_iter().map(Value::string).collect()))
}

pub(crate) fn lookup<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    let key = arg(&args, 1);
    Ok(crate::eval::lookup_field(
        &arg(&args, 0),
        key.as_str().unwrap_or_default(),
    ))
}

pub(crate) fn exists<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    Ok(Value::Bool(!arg(&args, 0).is_undefined()))
}

pub(crate) fn spread<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    fn go<'a>(v: &Value<'a>, out: &mut Vec<Value<'a>>) -> Option<Value<'a>> {
        if v.is_array() {
            for m in v.members() {
                if let Some(x) = go(&m, out) {
                    out.push(x);
                }
            }
            None
        } else if v.is_object() {
            for (k, x) in v.entries() {
                let mut o = Object::new();
                o.insert(k, x);
                out.push(Value::object(o));
            }
            None
        } else {
            Some(v.clone())
        }
    }
    let v = arg(&args, 0);
    let mut out = Vec::new();
    match go(&v, &mut out) {
        Some(x) => Ok(x),
        None => Ok(Value::seq(out)),
    }
}

pub(crate) fn merge<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    let v = arg(&args, 0);
    if v.is_undefined() {
        return Ok(Value::Undefined);
    }
    let mut out = Object::new();
    for m in v.members() {
        for (k, x) in m.entries() {
            out.insert(k, x);
        }
    }
    Ok(Value::object(out))
}

pub(crate) fn error<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    let msg = arg(&args, 0)
        .as_str()
        .filter(|s| !s.is_empty())
        .unwrap_or("$error() function evaluated")
        .to_string();
    Err(Error::with_message("D3137", msg))
}

pub(crate) fn assert<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    if matches!(arg(&args, 0), Value::Bool(true)) {
        return Ok(Value::Undefined);
    }
    let msg = arg(&args, 1)
        .as_str()
        .filter(|s| !s.is_empty())
        .unwrap_or("$assert() statement failed")
        .to_string();
    Err(Error::with_message("D3141", msg))
}

pub(crate) fn type_of<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    Ok(match arg(&args, 0) {
        Value::Undefined | Value::Tuples(_) => Value::Undefined,
        Value::Null => Value::string("null"),
        Value::Number(n) => {
            crate::value::check_finite(n)?;
            Value::string("number")
        }
        Value::Str(_) => Value::string("string"),
        Value::Bool(_) => Value::string("boolean"),
        Value::Array(_) | Value::JArray(_) => Value::string("array"),
        Value::Func(_) => Value::string("function"),
        Value::Object(_) | Value::JObject(_) => Value::string("object"),
    })
}

pub(crate) fn clone<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    Ok(deep_clone(&arg(&args, 0)))
}

pub(crate) fn eval<'a>(ctx: &Ctx<'a>, args: Vec<Value<'a>>, input: &Value<'a>) -> Result<Value<'a>> {
    let Some(src) = arg(&args, 0).as_str().map(str::to_string) else {
        return Ok(Value::Undefined);
    };
    let node = crate::process::build(&src).map_err(|e| Err::new("D3120").value_str(&e.message).build())?;
    let node: &'a crate::ast::Node = ctx.eval_arena.get_or_init(typed_arena::Arena::new).alloc(node);
    let focus = arg(&args, 1);
    let mut context = if focus.is_undefined() { input.clone() } else { focus };
    if context.is_array() && !context.is_sequence() {
        context = Value::with_flags(vec![context], crate::value::SEQUENCE | OUTER_WRAPPER);
    }
    ctx.eval(node, &context, ctx.root())
        .map_err(|e| Err::new("D3121").value_str(&e.message).build())
}
