//! String functions. Lengths and offsets are in UTF-16 code units where JavaScript's are
//! (`$length`, `$pad`), and in code points where jsonata-js splits into code points
//! (`$substring`).

use base64::Engine;

use super::arg;
use crate::error::{Err, Error, Result};
use crate::eval::Ctx;
use crate::value::{OUTER_WRAPPER, Value, write_json};

/// `fn.string`: text of any value (functions → "", non-finite numbers → D3001).
pub(crate) fn to_js_string(v: &Value<'_>, prettify: bool) -> Result<String> {
    Ok(match v {
        Value::Str(s) => s.to_string(),
        Value::Func(_) => String::new(),
        Value::Number(n) if !n.is_finite() => {
            return Err(Err::new("D3001").value_json("null").build());
        }
        Value::Array(a) if a.flags & OUTER_WRAPPER != 0 && !a.items.is_empty() => {
            return to_js_string(&a.items[0], prettify);
        }
        other => {
            check_finite_deep(other)?;
            let mut s = String::new();
            write_json(other, &mut s, prettify.then_some(2), 0, true);
            s
        }
    })
}

/// Longest string an expression may build: V8's limit (2^29 - 24), past which jsonata-js
/// fails with a JavaScript RangeError. Here it is [`crate::error::LIMIT_EXCEEDED`].
pub(crate) const MAX_STRING_LEN: f64 = 536_870_888.0;

pub(crate) fn check_len(len: f64) -> Result<()> {
    if len > MAX_STRING_LEN {
        return Err(Err::new(crate::error::LIMIT_EXCEEDED).build());
    }
    Ok(())
}

/// jsonata-js's stringify replacer raises D1001 on any non-finite number inside.
fn check_finite_deep(v: &Value<'_>) -> Result<()> {
    match v {
        Value::Number(n) => crate::value::check_finite(*n).map(|_| ()),
        Value::Array(_) | Value::JArray(_) => v.members().try_for_each(|m| check_finite_deep(&m)),
        Value::Object(o) => o.values().try_for_each(check_finite_deep),
        _ => Ok(()),
    }
}

/// JavaScript string ordering (UTF-16 code units).
pub(crate) fn js_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

fn s_arg<'a>(args: &[Value<'a>], i: usize) -> Option<String> {
    args.get(i).and_then(|v| v.as_str()).map(str::to_string)
}

pub(crate) fn string<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    let v = arg(&args, 0);
    if v.is_undefined() {
        return Ok(Value::Undefined);
    }
    let pretty = matches!(arg(&args, 1), Value::Bool(true));
    Ok(Value::string(to_js_string(&v, pretty)?))
}

/// Code-point slice with JS `Array.prototype.slice` index rules.
fn slice_chars(chars: &[char], start: i64, end: Option<i64>) -> String {
    let len = chars.len() as i64;
    let norm = |i: i64| if i < 0 { (len + i).max(0) } else { i.min(len) };
    let s = norm(start);
    let e = end.map(norm).unwrap_or(len);
    if s >= e {
        String::new()
    } else {
        chars[s as usize..e as usize].iter().collect()
    }
}

pub(crate) fn substring<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    let Some(s) = s_arg(&args, 0) else {
        return Ok(Value::Undefined);
    };
    let chars: Vec<char> = s.chars().collect();
    let len = chars.len() as i64;
    let mut start = arg(&args, 1).as_f64().unwrap_or(0.0) as i64;
    if len + start < 0 {
        start = 0;
    }
    match arg(&args, 2).as_f64() {
        Some(l) => {
            if l <= 0.0 {
                return Ok(Value::string(""));
            }
            let l = l as i64;
            let end = if start >= 0 {
                start.saturating_add(l)
            } else {
                (len + start).saturating_add(l)
            };
            Ok(Value::string(slice_chars(&chars, start, Some(end))))
        }
        None => Ok(Value::string(slice_chars(&chars, start, None))),
    }
}

pub(crate) fn substring_before<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    let Some(s) = s_arg(&args, 0) else {
        return Ok(Value::Undefined);
    };
    let Some(c) = s_arg(&args, 1) else {
        return Ok(Value::string(s));
    };
    Ok(Value::string(match s.find(&c) {
        Some(i) => s[..i].to_string(),
        None => s,
    }))
}

pub(crate) fn substring_after<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    let Some(s) = s_arg(&args, 0) else {
        return Ok(Value::Undefined);
    };
    let Some(c) = s_arg(&args, 1) else {
        return Ok(Value::string(s));
    };
    Ok(Value::string(match s.find(&c) {
        Some(i) => s[i + c.len()..].to_string(),
        None => s,
    }))
}

pub(crate) fn lowercase<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    Ok(s_arg(&args, 0)
        .map(|s| Value::string(s.to_lowercase()))
        .unwrap_or_default())
}

pub(crate) fn uppercase<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    Ok(s_arg(&args, 0)
        .map(|s| Value::string(s.to_uppercase()))
        .unwrap_or_default())
}

pub(crate) fn length<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    Ok(s_arg(&args, 0)
        .map(|s| Value::Number(s.chars().count() as f64))
        .unwrap_or_default())
}

pub(crate) fn trim<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    let Some(s) = s_arg(&args, 0) else {
        return Ok(Value::Undefined);
    };
    let mut out = String::with_capacity(s.len());
    let mut in_ws = false;
    for c in s.chars() {
        if matches!(c, ' ' | '\t' | '\n' | '\r') {
            if !in_ws {
                out.push(' ');
            }
            in_ws = true;
        } else {
            out.push(c);
            in_ws = false;
        }
    }
    let t = out.strip_prefix(' ').unwrap_or(&out);
    let t = t.strip_suffix(' ').unwrap_or(t);
    Ok(Value::string(t))
}

pub(crate) fn pad<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    let Some(s) = s_arg(&args, 0) else {
        return Ok(Value::Undefined);
    };
    let width = arg(&args, 1).as_f64().unwrap_or(0.0);
    let ch = s_arg(&args, 2).filter(|c| !c.is_empty()).unwrap_or_else(|| " ".into());
    let pad_len = width.abs() as i64 - s.chars().count() as i64;
    check_len(s.len() as f64 + pad_len as f64 * ch.len() as f64)?;
    if pad_len <= 0 {
        return Ok(Value::string(s));
    }
    let padding: String = ch.chars().cycle().take(pad_len as usize).collect();
    Ok(Value::string(if width > 0.0 { s + &padding } else { padding + &s }))
}

pub(crate) fn join<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    let v = arg(&args, 0);
    if v.is_undefined() {
        return Ok(Value::Undefined);
    }
    let sep = s_arg(&args, 1).unwrap_or_default();
    let total: usize = v
        .members()
        .map(|m| m.as_str().map(str::len).unwrap_or(0) + sep.len())
        .sum();
    check_len(total as f64)?;
    let parts: Vec<String> = v
        .members()
        .map(|m| m.as_str().unwrap_or_default().to_string())
        .collect();
    Ok(Value::string(parts.join(&sep)))
}

/// `Buffer.from(str, 'binary').toString('base64')`: each UTF-16 unit contributes its low byte
/// (Latin-1), which is what jsonata-js does under Node and hence on AWS.
pub(crate) fn base64encode<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    let Some(s) = s_arg(&args, 0) else {
        return Ok(Value::Undefined);
    };
    let bytes: Vec<u8> = s.encode_utf16().map(|u| u as u8).collect();
    Ok(Value::string(base64::engine::general_purpose::STANDARD.encode(bytes)))
}

/// `Buffer.from(str, 'base64').toString('binary')`: lenient about padding, whitespace and the
/// URL-safe alphabet like Node, and each decoded byte becomes one Latin-1 character.
pub(crate) fn base64decode<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    let Some(s) = s_arg(&args, 0) else {
        return Ok(Value::Undefined);
    };
    let mut bits: u32 = 0;
    let mut nbits = 0;
    let mut out = String::new();
    for c in s.chars() {
        let v = match c {
            'A'..='Z' => c as u32 - 'A' as u32,
            'a'..='z' => c as u32 - 'a' as u32 + 26,
            '0'..='9' => c as u32 - '0' as u32 + 52,
            '+' | '-' => 62,
            '/' | '_' => 63,
            '=' => break,
            _ => continue,
        };
        bits = (bits << 6) | v;
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            out.push(char::from(((bits >> nbits) & 0xFF) as u8));
        }
    }
    Ok(Value::string(out))
}

fn url_error(name: &str, s: &str) -> Error {
    Err::new("D3140").token(name).value_str(s).build()
}

fn encode(s: &str, keep: &str, name: &str) -> Result<String> {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || keep.contains(c) {
            out.push(c);
        } else {
            if (0xD800..0xE000).contains(&(c as u32)) {
                return Err(url_error(name, s));
            }
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    Ok(out)
}

fn decode(s: &str, reserved: &str, name: &str) -> Result<String> {
    let b = s.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3).ok_or_else(|| url_error(name, s))?;
            let byte = u8::from_str_radix(hex, 16).map_err(|_| url_error(name, s))?;
            if byte < 0x80 && reserved.as_bytes().contains(&byte) {
                out.extend_from_slice(&b[i..i + 3]);
            } else {
                out.push(byte);
            }
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| url_error(name, s))
}

pub(crate) fn encode_url_component<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    let Some(s) = s_arg(&args, 0) else {
        return Ok(Value::Undefined);
    };
    Ok(Value::string(encode(&s, "-_.!~*'()", "encodeUrlComponent")?))
}

pub(crate) fn encode_url<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    let Some(s) = s_arg(&args, 0) else {
        return Ok(Value::Undefined);
    };
    Ok(Value::string(encode(&s, "-_.!~*'();/?:@&=+$,#", "encodeUrl")?))
}

pub(crate) fn decode_url_component<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    let Some(s) = s_arg(&args, 0) else {
        return Ok(Value::Undefined);
    };
    Ok(Value::string(decode(&s, "", "decodeUrlComponent")?))
}

pub(crate) fn decode_url<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    let Some(s) = s_arg(&args, 0) else {
        return Ok(Value::Undefined);
    };
    Ok(Value::string(decode(&s, ";/?:@&=+$,#", "decodeUrl")?))
}
