//! Higher-order functions (`$map`, `$filter`, `$reduce`, `$sift`, `$each`, `$single`, `$sort`).

use super::arg;
use crate::error::{Err, Result};
use crate::eval::{Ctx, merge_sort};
use crate::value::{Object, Value, truthy};

fn arity(f: &Value<'_>) -> usize {
    match f {
        Value::Func(func) => func.arity(),
        _ => 0,
    }
}

/// The value plus as many of (index/key, whole) as the function declares.
fn hof_args<'a>(f: &Value<'a>, v: Value<'a>, i: Value<'a>, all: &Value<'a>) -> Vec<Value<'a>> {
    let n = arity(f);
    let mut a = vec![v];
    if n >= 2 {
        a.push(i);
    }
    if n >= 3 {
        a.push(all.clone());
    }
    a
}

pub(crate) fn map<'a>(ctx: &Ctx<'a>, args: Vec<Value<'a>>, input: &Value<'a>) -> Result<Value<'a>> {
    let arr = arg(&args, 0);
    if arr.is_undefined() {
        return Ok(Value::Undefined);
    }
    let f = arg(&args, 1);
    let mut out = Vec::new();
    for (i, m) in arr.members().enumerate() {
        let r = ctx.apply(&f, hof_args(&f, m, Value::Number(i as f64), &arr), input)?;
        if !r.is_undefined() {
            out.push(r);
        }
    }
    Ok(Value::seq(out))
}

pub(crate) fn filter<'a>(ctx: &Ctx<'a>, args: Vec<Value<'a>>, input: &Value<'a>) -> Result<Value<'a>> {
    let arr = arg(&args, 0);
    if arr.is_undefined() {
        return Ok(Value::Undefined);
    }
    let f = arg(&args, 1);
    let mut out = Vec::new();
    for (i, m) in arr.members().enumerate() {
        let r = ctx.apply(&f, hof_args(&f, m.clone(), Value::Number(i as f64), &arr), input)?;
        if truthy(&r) == Some(true) {
            out.push(m);
        }
    }
    Ok(Value::seq(out))
}

pub(crate) fn single<'a>(ctx: &Ctx<'a>, args: Vec<Value<'a>>, input: &Value<'a>) -> Result<Value<'a>> {
    let arr = arg(&args, 0);
    if arr.is_undefined() {
        return Ok(Value::Undefined);
    }
    let f = arg(&args, 1);
    let mut found: Option<Value<'a>> = None;
    for (i, m) in arr.members().enumerate() {
        let ok = if f.is_undefined() {
            true
        } else {
            let r = ctx.apply(&f, hof_args(&f, m.clone(), Value::Number(i as f64), &arr), input)?;
            truthy(&r) == Some(true)
        };
        if ok {
            if found.is_some() {
                return Err(Err::new("D3138").index(i).build());
            }
            found = Some(m);
        }
    }
    found.ok_or_else(|| Err::new("D3139").build())
}

pub(crate) fn reduce<'a>(ctx: &Ctx<'a>, args: Vec<Value<'a>>, input: &Value<'a>) -> Result<Value<'a>> {
    let arr = arg(&args, 0);
    if arr.is_undefined() {
        return Ok(Value::Undefined);
    }
    let f = arg(&args, 1);
    let n = arity(&f);
    if n < 2 {
        return Err(Err::new("D3050").index(1).build());
    }
    let items = arr.to_vec();
    let init = arg(&args, 2);
    let (mut acc, start) = if init.is_undefined() && !items.is_empty() {
        (items[0].clone(), 1)
    } else {
        (init, 0)
    };
    for (i, item) in items.iter().enumerate().skip(start) {
        let mut a = vec![acc, item.clone()];
        if n >= 3 {
            a.push(Value::Number(i as f64));
        }
        if n >= 4 {
            a.push(arr.clone());
        }
        acc = ctx.apply(&f, a, input)?;
    }
    Ok(acc)
}

pub(crate) fn sift<'a>(ctx: &Ctx<'a>, args: Vec<Value<'a>>, input: &Value<'a>) -> Result<Value<'a>> {
    let obj = arg(&args, 0);
    let f = arg(&args, 1);
    let mut out = Object::new();
    for (k, v) in obj.entries() {
        let r = ctx.apply(&f, hof_args(&f, v.clone(), Value::string(k.as_str()), &obj), input)?;
        if truthy(&r) == Some(true) {
            out.insert(k, v);
        }
    }
    Ok(if out.is_empty() {
        Value::Undefined
    } else {
        Value::object(out)
    })
}

pub(crate) fn each<'a>(ctx: &Ctx<'a>, args: Vec<Value<'a>>, input: &Value<'a>) -> Result<Value<'a>> {
    let obj = arg(&args, 0);
    let f = arg(&args, 1);
    let mut out = Vec::new();
    for (k, v) in obj.entries() {
        let r = ctx.apply(&f, hof_args(&f, v, Value::string(k.as_str()), &obj), input)?;
        if !r.is_undefined() {
            out.push(r);
        }
    }
    Ok(Value::seq(out))
}

pub(crate) fn sort<'a>(ctx: &Ctx<'a>, args: Vec<Value<'a>>, input: &Value<'a>) -> Result<Value<'a>> {
    let arr = arg(&args, 0);
    if arr.is_undefined() {
        return Ok(Value::Undefined);
    }
    if arr.array_len().is_some_and(|n| n <= 1) {
        return Ok(arr);
    }
    let items = arr.to_vec();
    let f = arg(&args, 1);
    let sorted = if f.is_undefined() {
        let all_num = items.iter().all(|v| matches!(v, Value::Number(_)));
        let all_str = items.iter().all(|v| matches!(v, Value::Str(_)));
        if !all_num && !all_str {
            return Err(Err::new("D3070").index(1).build());
        }
        merge_sort(items, &|a: Value<'a>, b: Value<'a>| {
            Ok(match (&a, &b) {
                (Value::Number(x), Value::Number(y)) => x > y,
                (Value::Str(x), Value::Str(y)) => crate::functions::string::js_cmp(x, y).is_gt(),
                _ => false,
            })
        })?
    } else {
        merge_sort(items, &|a: Value<'a>, b: Value<'a>| {
            let r = ctx.apply(&f, vec![a, b], input)?;
            Ok(truthy(&r) == Some(true))
        })?
    };
    Ok(Value::array_of(sorted))
}
