//! Numeric functions.

use super::arg;
use crate::error::{Err, Result};
use crate::eval::Ctx;
use crate::numfmt::js_number_to_string;
use crate::value::{Value, check_finite};

fn nums<'a>(v: &Value<'a>) -> Option<Vec<f64>> {
    if v.is_undefined() {
        return None;
    }
    Some(v.members().filter_map(|m| m.as_f64()).collect())
}

pub(crate) fn sum<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    Ok(nums(&arg(&args, 0))
        .map(|n| Value::Number(n.iter().sum()))
        .unwrap_or_default())
}

pub(crate) fn max<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    match nums(&arg(&args, 0)) {
        Some(n) if !n.is_empty() => Ok(Value::Number(n.into_iter().fold(f64::NEG_INFINITY, f64::max))),
        _ => Ok(Value::Undefined),
    }
}

pub(crate) fn min<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    match nums(&arg(&args, 0)) {
        Some(n) if !n.is_empty() => Ok(Value::Number(n.into_iter().fold(f64::INFINITY, f64::min))),
        _ => Ok(Value::Undefined),
    }
}

pub(crate) fn average<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    match nums(&arg(&args, 0)) {
        Some(n) if !n.is_empty() => Ok(Value::Number(n.iter().sum::<f64>() / n.len() as f64)),
        _ => Ok(Value::Undefined),
    }
}

/// `$number` string parsing: decimal JSON-like numbers, or 0x/0o/0b integer prefixes.
pub(crate) fn parse_number(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = 0;
    if b.first() == Some(&b'-') {
        i += 1;
    }
    let digits_start = i;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    if i > digits_start {
        if b.get(i) == Some(&b'.') {
            i += 1;
            let f = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == f {
                return None;
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            let e = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == e {
                return None;
            }
        }
        if i == b.len() {
            return s.parse::<f64>().ok().filter(|n| n.is_finite());
        }
    }
    let radix = |p: &str, r: u32| -> Option<f64> {
        let digits = s.strip_prefix(p).or_else(|| s.strip_prefix(&p.to_uppercase()))?;
        if digits.is_empty() {
            return None;
        }
        let mut v = 0f64;
        for c in digits.chars() {
            v = v * r as f64 + c.to_digit(r)? as f64;
        }
        Some(v)
    };
    radix("0x", 16).or_else(|| radix("0o", 8)).or_else(|| radix("0b", 2))
}

pub(crate) fn number<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    let v = arg(&args, 0);
    Ok(match &v {
        Value::Undefined => Value::Undefined,
        Value::Number(n) => Value::Number(*n),
        Value::Bool(b) => Value::Number(if *b { 1.0 } else { 0.0 }),
        Value::Str(s) => match parse_number(s) {
            Some(n) => Value::Number(n),
            None => {
                return Err(Err::new("D3030").value_json(v.to_json_text()).index(1).build());
            }
        },
        other => {
            return Err(Err::new("D3030").value_json(other.to_json_text()).index(1).build());
        }
    })
}

fn unary<'a>(args: &[Value<'a>], f: impl Fn(f64) -> f64) -> Result<Value<'a>> {
    Ok(arg(args, 0).as_f64().map(|n| Value::Number(f(n))).unwrap_or_default())
}

pub(crate) fn floor<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    unary(&args, f64::floor)
}

pub(crate) fn ceil<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    unary(&args, f64::ceil)
}

pub(crate) fn abs<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    unary(&args, f64::abs)
}

/// Shift the decimal point by `places` via the decimal text (jsonata-js's exact trick).
fn shift(x: f64, places: i32) -> f64 {
    let s = js_number_to_string(x);
    let (m, e) = match s.split_once('e') {
        Some((m, e)) => (m.to_string(), e.parse::<i32>().unwrap_or(0)),
        None => (s, 0),
    };
    format!("{m}e{}", e.saturating_add(places)).parse().unwrap_or(x)
}

/// Round half to even at `precision` decimal places, as `$round` does.
pub(crate) fn round_half_even(x: f64, precision: i32) -> f64 {
    let mut v = if precision != 0 { shift(x, precision) } else { x };
    // JS Math.round: round half up (towards +inf).
    let mut r = (v + 0.5).floor();
    let diff = r - v;
    if diff.abs() == 0.5 && (r % 2.0).abs() == 1.0 {
        r -= 1.0;
    }
    v = r;
    if precision != 0 {
        v = shift(v, -precision);
    }
    if v == 0.0 { 0.0 } else { v }
}

pub(crate) fn round<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    let Some(x) = arg(&args, 0).as_f64() else {
        return Ok(Value::Undefined);
    };
    let p = arg(&args, 1).as_f64().unwrap_or(0.0) as i32;
    Ok(Value::Number(round_half_even(x, p)))
}

pub(crate) fn sqrt<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    let Some(x) = arg(&args, 0).as_f64() else {
        return Ok(Value::Undefined);
    };
    if x < 0.0 {
        return Err(Err::new("D3060").value_json(js_number_to_string(x)).index(1).build());
    }
    Ok(Value::Number(x.sqrt()))
}

pub(crate) fn power<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    let Some(b) = arg(&args, 0).as_f64() else {
        return Ok(Value::Undefined);
    };
    let e = arg(&args, 1).as_f64().unwrap_or(f64::NAN);
    let r = b.powf(e);
    if !r.is_finite() {
        return Err(Err::new("D3061")
            .value_json(js_number_to_string(b))
            .value2_json(js_number_to_string(e))
            .index(1)
            .build());
    }
    Ok(Value::Number(r))
}

/// Seed for unseeded randomness: std's per-process random hasher keys plus the clock.
pub(crate) fn entropy_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish()
}

/// SplitMix64 step: small, fast, and deterministic for a given seed.
pub(crate) fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Uniform float in [0, 1) from 53 random bits.
pub(crate) fn unit(bits: u64) -> f64 {
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

pub(crate) fn next_random(ctx: &Ctx<'_>) -> f64 {
    let mut s = ctx.rng.get().unwrap_or_else(entropy_seed);
    let r = splitmix(&mut s);
    ctx.rng.set(Some(s));
    unit(r)
}

pub(crate) fn random<'a>(ctx: &Ctx<'a>, _: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    Ok(Value::Number(next_random(ctx)))
}

pub(crate) fn format_base<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    let Some(x) = arg(&args, 0).as_f64() else {
        return Ok(Value::Undefined);
    };
    let x = round_half_even(check_finite(x)?, 0);
    let radix = arg(&args, 1).as_f64().unwrap_or(10.0);
    if !(2.0..=36.0).contains(&radix) {
        return Err(Err::new("D3100").value_json(js_number_to_string(radix)).build());
    }
    let radix = radix as u32;
    let neg = x < 0.0;
    let mut n = x.abs();
    let mut digits = Vec::new();
    if n == 0.0 {
        digits.push('0');
    }
    while n >= 1.0 {
        let d = (n % radix as f64) as u32;
        digits.push(std::char::from_digit(d, radix).unwrap_or('0'));
        n = (n / radix as f64).floor();
    }
    if neg {
        digits.push('-');
    }
    Ok(Value::string(digits.into_iter().rev().collect::<String>()))
}
