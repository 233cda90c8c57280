//! Regex-aware string functions (`$match`, `$contains`, `$replace`, `$split`) and regex
//! literals used as functions. Matching emulates a JS global regex: each search resumes at the
//! end of the previous match, and an empty match that would loop raises D1004.

use std::rc::Rc;

use super::arg;
use crate::ast::RegexLit;
use crate::error::{Err, Result};
use crate::eval::Ctx;
use crate::eval::func::Func;
use crate::value::{Object, Value};

struct M {
    start: usize,
    end: usize,
    groups: Vec<Option<String>>,
}

fn utf16_index(s: &str, byte: usize) -> usize {
    s[..byte].encode_utf16().count()
}

fn exec(re: &regex::Regex, text: &str, from: usize) -> Option<M> {
    if from > text.len() || !text.is_char_boundary(from) {
        return None;
    }
    let caps = re.captures_at(text, from)?;
    let m = caps.get(0)?;
    let groups = (1..caps.len())
        .map(|i| caps.get(i).map(|g| g.as_str().to_string()))
        .collect();
    Some(M {
        start: m.start(),
        end: m.end(),
        groups,
    })
}

/// All matches up to `limit`, as jsonata-js's `next()` chain would produce them.
fn matches(re: &RegexLit, text: &str, limit: Option<usize>) -> Result<Vec<M>> {
    let mut out = Vec::new();
    let Some(mut m) = exec(&re.regex, text, 0) else {
        return Ok(out);
    };
    loop {
        if limit.is_some_and(|l| out.len() >= l) {
            break;
        }
        let last = m.end;
        out.push(m);
        if last >= text.len() {
            break;
        }
        match exec(&re.regex, text, last) {
            Some(n) if n.start == n.end => {
                return Err(Err::new("D1004").value_str(&re.source).build());
            }
            Some(n) => m = n,
            None => break,
        }
    }
    Ok(out)
}

fn match_value<'a>(text: &str, m: &M) -> Object<'a> {
    let mut o = Object::new();
    o.insert("match".into(), Value::string(&text[m.start..m.end]));
    o.insert("index".into(), Value::Number(utf16_index(text, m.start) as f64));
    let groups = m
        .groups
        .iter()
        .map(|g| Value::string(g.clone().unwrap_or_default()))
        .collect();
    o.insert("groups".into(), Value::array_of(groups));
    o
}

/// The object a regex literal returns when called directly: match/start/end/groups/next.
pub(crate) fn match_object<'a>(re: &'a RegexLit, text: Rc<str>, from: usize) -> Result<Value<'a>> {
    let Some(m) = exec(&re.regex, &text, from) else {
        return Ok(Value::Undefined);
    };
    let mut o = Object::new();
    o.insert("match".into(), Value::string(&text[m.start..m.end]));
    o.insert("start".into(), Value::Number(utf16_index(&text, m.start) as f64));
    o.insert("end".into(), Value::Number(utf16_index(&text, m.end) as f64));
    let groups = m
        .groups
        .iter()
        .map(|g| Value::string(g.clone().unwrap_or_default()))
        .collect();
    o.insert("groups".into(), Value::array_of(groups));
    o.insert(
        "next".into(),
        Value::Func(Rc::new(Func::RegexNext { re, text, from: m.end })),
    );
    Ok(Value::object(o))
}

pub(crate) fn match_next<'a>(re: &'a RegexLit, text: Rc<str>, from: usize) -> Result<Value<'a>> {
    if from >= text.len() {
        return Ok(Value::Undefined);
    }
    let next = match_object(re, text, from)?;
    if let Value::Object(o) = &next
        && o.get("match").and_then(|m| m.as_str()).is_some_and(str::is_empty)
    {
        return Err(Err::new("D1004").value_str(&re.source).build());
    }
    Ok(next)
}

fn byte_offset(s: &str, utf16: f64) -> usize {
    let mut units = 0usize;
    for (i, c) in s.char_indices() {
        if units as f64 >= utf16 {
            return i;
        }
        units += c.len_utf16();
    }
    s.len()
}

/// Matches of `pat` (a regex literal, or a custom matcher function returning jsonata's
/// `{match, start, end, groups, next}` objects) in `text`.
fn find<'a>(
    ctx: &Ctx<'a>,
    input: &Value<'a>,
    pat: &Value<'a>,
    text: &str,
    limit: Option<usize>,
    name: &str,
) -> Result<Vec<M>> {
    if let Value::Func(f) = pat
        && let Func::Regex(r) = &**f
    {
        return matches(r, text, limit);
    }
    let check = |v: &Value<'a>| -> Result<()> {
        let ok = v.is_undefined()
            || matches!(v.get_field("start"), Value::Number(_))
            || v.get_field("groups").is_array()
            || v.get_field("next").is_function();
        if ok {
            Ok(())
        } else {
            Err(Err::new("T1010").token(name).build())
        }
    };
    let mut out = Vec::new();
    let mut cur = ctx.apply(pat, vec![Value::string(text)], input)?;
    check(&cur)?;
    while !cur.is_undefined() && limit.is_none_or(|l| out.len() < l) {
        // A custom matcher may report any positions: keep them in order and on char
        // boundaries so slicing the text stays valid.
        let prev_end = out.last().map(|m: &M| m.end).unwrap_or(0);
        let start = byte_offset(text, cur.get_field("start").as_f64().unwrap_or(0.0)).max(prev_end);
        let m = cur.get_field("match");
        let mut end = (start + m.as_str().map(str::len).unwrap_or(0)).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        let groups = cur
            .get_field("groups")
            .members()
            .map(|g| g.as_str().map(str::to_string))
            .collect();
        out.push(M { start, end, groups });
        let next = cur.get_field("next");
        if !next.is_function() {
            break;
        }
        cur = ctx.apply(&next, Vec::new(), input)?;
        check(&cur)?;
    }
    Ok(out)
}

fn limit_arg(v: &Value<'_>, code: &'static str) -> Result<Option<usize>> {
    match v {
        Value::Number(n) if *n < 0.0 => Err(Err::new(code)
            .value_json(crate::numfmt::js_number_to_string(*n))
            .build()),
        Value::Number(n) => Ok(Some(*n as usize)),
        _ => Ok(None),
    }
}

pub(crate) fn match_fn<'a>(ctx: &Ctx<'a>, args: Vec<Value<'a>>, input: &Value<'a>) -> Result<Value<'a>> {
    let Some(s) = arg(&args, 0).as_str().map(str::to_string) else {
        return Ok(Value::Undefined);
    };
    let limit = limit_arg(&arg(&args, 2), "D3040")?;
    if limit == Some(0) {
        return Ok(Value::seq(Vec::new()));
    }
    let ms = find(ctx, input, &arg(&args, 1), &s, limit, "match")?;
    Ok(Value::seq(
        ms.iter().map(|m| Value::object(match_value(&s, m))).collect(),
    ))
}

pub(crate) fn contains<'a>(ctx: &Ctx<'a>, args: Vec<Value<'a>>, input: &Value<'a>) -> Result<Value<'a>> {
    let Some(s) = arg(&args, 0).as_str().map(str::to_string) else {
        return Ok(Value::Undefined);
    };
    Ok(Value::Bool(match arg(&args, 1) {
        Value::Str(p) => s.contains(&*p),
        other => !find(ctx, input, &other, &s, Some(1), "contains")?.is_empty(),
    }))
}

fn substitute(replacement: &str, text: &str, m: &M) -> String {
    let mut out = String::new();
    let r: Vec<char> = replacement.chars().collect();
    let mut i = 0;
    let ngroups = m.groups.len();
    while i < r.len() {
        if r[i] != '$' {
            out.push(r[i]);
            i += 1;
            continue;
        }
        i += 1;
        match r.get(i) {
            Some('$') => {
                out.push('$');
                i += 1;
            }
            Some('0') => {
                out.push_str(&text[m.start..m.end]);
                i += 1;
            }
            _ => {
                let max_digits = if ngroups == 0 {
                    1
                } else {
                    (ngroups as f64).log10().floor() as usize + 1
                };
                let take = |n: usize| -> Option<usize> {
                    let d: String = r[i..(i + n).min(r.len())]
                        .iter()
                        .take_while(|c| c.is_ascii_digit())
                        .collect();
                    d.parse().ok()
                };
                let mut idx = take(max_digits);
                if max_digits > 1 && idx.is_some_and(|x| x > ngroups) {
                    idx = take(max_digits - 1);
                }
                match idx {
                    Some(idx) => {
                        if ngroups > 0
                            && let Some(Some(g)) = idx.checked_sub(1).and_then(|k| m.groups.get(k))
                        {
                            out.push_str(g);
                        }
                        i += idx.to_string().len();
                    }
                    None => out.push('$'),
                }
            }
        }
    }
    out
}

pub(crate) fn replace<'a>(ctx: &Ctx<'a>, args: Vec<Value<'a>>, input: &Value<'a>) -> Result<Value<'a>> {
    let Some(s) = arg(&args, 0).as_str().map(str::to_string) else {
        return Ok(Value::Undefined);
    };
    let pattern = arg(&args, 1);
    if pattern.as_str() == Some("") {
        return Err(Err::new("D3010").value_str("").build());
    }
    let limit = limit_arg(&arg(&args, 3), "D3011")?;
    let replacement = arg(&args, 2);
    if limit == Some(0) {
        return Ok(Value::string(s));
    }
    if let Some(p) = pattern.as_str() {
        let rep = replacement.as_str().unwrap_or_default();
        let mut out = String::new();
        let mut pos = 0;
        let mut count = 0;
        while let Some(i) = s[pos..].find(p) {
            if limit.is_some_and(|l| count >= l) {
                break;
            }
            out.push_str(&s[pos..pos + i]);
            out.push_str(rep);
            super::string::check_len(out.len() as f64)?;
            pos += i + p.len();
            count += 1;
        }
        out.push_str(&s[pos..]);
        return Ok(Value::string(out));
    }
    let ms = find(ctx, input, &pattern, &s, limit, "replace")?;
    let mut out = String::new();
    let mut pos = 0;
    for m in &ms {
        out.push_str(&s[pos..m.start]);
        super::string::check_len(out.len() as f64)?;
        match &replacement {
            Value::Str(r) => out.push_str(&substitute(r, &s, m)),
            f if f.is_function() => {
                let mv = Value::object(match_value(&s, m));
                match ctx.apply(f, vec![mv], input)? {
                    Value::Str(r) => out.push_str(&r),
                    other => {
                        return Err(Err::new("D3012").value_json(other.to_json_text()).build());
                    }
                }
            }
            _ => {}
        }
        pos = m.end;
    }
    out.push_str(&s[pos..]);
    Ok(Value::string(out))
}

pub(crate) fn split<'a>(ctx: &Ctx<'a>, args: Vec<Value<'a>>, input: &Value<'a>) -> Result<Value<'a>> {
    let Some(s) = arg(&args, 0).as_str().map(str::to_string) else {
        return Ok(Value::Undefined);
    };
    let limit = limit_arg(&arg(&args, 2), "D3020")?;
    let parts: Vec<String> = match arg(&args, 1) {
        Value::Str(sep) => {
            let mut v: Vec<String> = if sep.is_empty() {
                s.chars().map(|c| c.to_string()).collect()
            } else {
                s.split(&*sep).map(str::to_string).collect()
            };
            if let Some(l) = limit {
                v.truncate(l);
            }
            v
        }
        other => {
            let ms = find(ctx, input, &other, &s, limit, "split")?;
            let mut v = Vec::new();
            let mut pos = 0;
            for m in &ms {
                v.push(s[pos..m.start].to_string());
                pos = m.end;
            }
            if limit.is_none_or(|l| v.len() < l) {
                v.push(s[pos..].to_string());
            }
            v
        }
    };
    Ok(Value::array_of(parts.into_iter().map(Value::string).collect()))
}
