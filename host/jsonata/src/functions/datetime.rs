//! Date/time functions: `$now`, `$millis`, `$fromMillis`/`$toMillis` with XPath picture
//! strings, and the integer picture functions built on the same machinery.

use chrono::{Datelike, TimeZone, Timelike, Utc};

use super::arg;
use super::integer::{IntFormat, Picture, format_integer, parse_integer, parse_picture};
use crate::error::{Err, Result};
use crate::eval::Ctx;
use crate::value::Value;

const DAYS: [&str; 8] = [
    "",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

pub(crate) fn format_integer_fn<'a>(
    _: &Ctx<'a>,
    args: Vec<Value<'a>>,
    _: &Value<'a>,
) -> Result<Value<'a>> {
    let Some(n) = arg(&args, 0).as_f64() else {
        return Ok(Value::Undefined);
    };
    let pic = arg(&args, 1);
    let fmt = parse_picture(pic.as_str().unwrap_or_default())?;
    Ok(Value::string(format_integer(n, &fmt)))
}

pub(crate) fn parse_integer_fn<'a>(
    _: &Ctx<'a>,
    args: Vec<Value<'a>>,
    _: &Value<'a>,
) -> Result<Value<'a>> {
    let Some(s) = arg(&args, 0).as_str().map(str::to_string) else {
        return Ok(Value::Undefined);
    };
    let fmt = parse_picture(arg(&args, 1).as_str().unwrap_or_default())?;
    Ok(parse_integer(&s, &fmt)
        .map(Value::Number)
        .unwrap_or_default())
}

pub(crate) fn millis<'a>(ctx: &Ctx<'a>, _: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    Ok(Value::Number(ctx.now_millis as f64))
}

pub(crate) fn now<'a>(ctx: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    let pic = arg(&args, 0);
    let tz = arg(&args, 1);
    Ok(Value::string(format_datetime(
        ctx.now_millis,
        pic.as_str(),
        tz.as_str(),
    )?))
}

pub(crate) fn from_millis<'a>(
    _: &Ctx<'a>,
    args: Vec<Value<'a>>,
    _: &Value<'a>,
) -> Result<Value<'a>> {
    let Some(ms) = arg(&args, 0).as_f64() else {
        return Ok(Value::Undefined);
    };
    let pic = arg(&args, 1);
    let tz = arg(&args, 2);
    Ok(Value::string(format_datetime(
        ms as i64,
        pic.as_str(),
        tz.as_str(),
    )?))
}

pub(crate) fn to_millis<'a>(
    ctx: &Ctx<'a>,
    args: Vec<Value<'a>>,
    _: &Value<'a>,
) -> Result<Value<'a>> {
    let Some(s) = arg(&args, 0).as_str().map(str::to_string) else {
        return Ok(Value::Undefined);
    };
    match arg(&args, 1).as_str() {
        None => parse_iso(&s)
            .map(|m| Value::Number(m as f64))
            .ok_or_else(|| Err::new("D3110").value_str(&s).build()),
        Some(p) => Ok(parse_datetime(&s, p, ctx.now_millis)?
            .map(|m| Value::Number(m as f64))
            .unwrap_or_default()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Names {
    Upper,
    Lower,
    Title,
}

#[derive(Debug)]
struct Marker {
    component: char,
    names: Option<Names>,
    int: Option<IntFormat>,
    pres2: Option<char>,
    width_max: Option<usize>,
    /// Year truncation width (jsonata's `n`), when set.
    year_digits: Option<u32>,
}

#[derive(Debug)]
enum Part {
    Lit(String),
    Mark(Marker),
}

fn default_pres(c: char) -> Option<&'static str> {
    Some(match c {
        'Y' | 'M' | 'D' | 'd' | 'W' | 'w' | 'X' | 'x' | 'H' | 'h' | 'f' => "1",
        'F' | 'P' | 'C' | 'E' => "n",
        'm' | 's' => "01",
        'Z' | 'z' => "01:01",
        _ => return None,
    })
}

fn analyse(picture: &str) -> Result<Vec<Part>> {
    let mut parts = Vec::new();
    let mut lit = String::new();
    let chars: Vec<char> = picture.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '[' && chars.get(i + 1) == Some(&'[') {
            lit.push('[');
            i += 2;
            continue;
        }
        if c == ']' && chars.get(i + 1) == Some(&']') {
            lit.push(']');
            i += 2;
            continue;
        }
        if c != '[' {
            lit.push(c);
            i += 1;
            continue;
        }
        if !lit.is_empty() {
            parts.push(Part::Lit(std::mem::take(&mut lit)));
        }
        let Some(end) = chars[i..].iter().position(|&x| x == ']').map(|p| p + i) else {
            return Err(Err::new("D3135").build());
        };
        let marker: String = chars[i + 1..end]
            .iter()
            .filter(|c| !c.is_whitespace())
            .collect();
        i = end + 1;
        let mut mc = marker.chars();
        let Some(component) = mc.next() else { continue };
        let rest: String = mc.collect();
        let (pres, width) = match rest.rfind(',') {
            Some(p) => (rest[..p].to_string(), Some(rest[p + 1..].to_string())),
            None => (rest.clone(), None),
        };
        let (mut wmin, mut wmax) = (None, None);
        if let Some(w) = &width {
            let pw = |s: &str| {
                if s == "*" || s.is_empty() {
                    None
                } else {
                    s.parse::<usize>().ok()
                }
            };
            match w.split_once('-') {
                Some((a, b)) => {
                    wmin = pw(a);
                    wmax = pw(b);
                }
                None => wmin = pw(w),
            }
        }
        let (mut pres1, mut pres2) = (pres.clone(), None);
        if pres.chars().count() > 1 {
            let last = pres.chars().last().unwrap_or(' ');
            if "atco".contains(last) {
                pres2 = Some(last);
                pres1 = pres[..pres.len() - last.len_utf8()].to_string();
            }
        } else if pres.is_empty() {
            pres1 = default_pres(component)
                .ok_or_else(|| Err::new("D3132").value_str(&component.to_string()).build())?
                .to_string();
        }
        let mut m = Marker {
            component,
            names: None,
            int: None,
            pres2,
            width_max: wmax,
            year_digits: None,
        };
        if pres1.starts_with('n') {
            m.names = Some(Names::Lower);
        } else if pres1.starts_with('N') {
            m.names = Some(
                if pres1.strip_prefix('N').is_some_and(|r| r.starts_with('n')) {
                    Names::Title
                } else {
                    Names::Upper
                },
            );
        } else if "YMDdFWwXxHhmsf".contains(component) {
            let pat = match pres2 {
                Some(p) => format!("{pres1};{p}"),
                None => pres1.clone(),
            };
            let mut f = parse_picture(&pat)?;
            let optional = pres1.chars().filter(|c| *c == '#').count();
            if let Picture::Decimal { mandatory, .. } = &mut f.picture {
                if let Some(min) = wmin
                    && *mandatory < min
                {
                    *mandatory = min;
                }
                if "YMD".contains(component) {
                    if let Some(max) = wmax {
                        *mandatory = max;
                        m.year_digits = Some(max as u32);
                    } else if *mandatory + optional >= 2 {
                        m.year_digits = Some((*mandatory + optional) as u32);
                    }
                }
            }
            m.int = Some(f);
        } else if !"ZzPCE".contains(component) {
            return Err(Err::new("D3132").value_str(&component.to_string()).build());
        }
        if component == 'Z' || component == 'z' {
            m.int = Some(parse_picture(&pres1)?);
        }
        parts.push(Part::Mark(m));
    }
    if !lit.is_empty() {
        parts.push(Part::Lit(lit));
    }
    Ok(parts)
}

fn iso_week(d: chrono::NaiveDate) -> (i32, u32) {
    let w = d.iso_week();
    (w.year(), w.week())
}

/// Week of month per jsonata: ISO-style weeks relative to the month's first week.
fn week_of_month(d: chrono::NaiveDate) -> (u32, u32) {
    let start_of_first_week = |y: i32, m: u32| -> chrono::NaiveDate {
        let first = chrono::NaiveDate::from_ymd_opt(y, m, 1).unwrap_or_default();
        let dow = first.weekday().number_from_monday() as i64;
        if dow > 4 {
            first + chrono::Duration::days(8 - dow)
        } else {
            first - chrono::Duration::days(dow - 1)
        }
    };
    let (mut y, mut m) = (d.year(), d.month());
    let mut start = start_of_first_week(y, m);
    if d < start {
        if m == 1 {
            y -= 1;
            m = 12;
        } else {
            m -= 1;
        }
        start = start_of_first_week(y, m);
    } else {
        let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        let next = start_of_first_week(ny, nm);
        if d >= next {
            y = ny;
            m = nm;
            start = next;
        }
    }
    let _ = y;
    (((d - start).num_days() / 7 + 1) as u32, m)
}

fn apply_names(s: &str, names: Names, max: Option<usize>) -> String {
    let mut s = match names {
        Names::Upper => s.to_uppercase(),
        Names::Lower => s.to_lowercase(),
        Names::Title => s.to_string(),
    };
    if let Some(m) = max {
        s = s.chars().take(m).collect();
    }
    s
}

pub(crate) fn format_datetime(
    millis: i64,
    picture: Option<&str>,
    tz: Option<&str>,
) -> Result<String> {
    let parts =
        analyse(picture.unwrap_or("[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]"))?;
    let (mut oh, mut om) = (0i64, 0i64);
    if let Some(t) = tz {
        let digits: String = t
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '-' || *c == '+')
            .collect();
        let off: i64 = digits.parse().unwrap_or(0);
        oh = off.div_euclid(100);
        om = off % 100;
        if off < 0 && om != 0 {
            oh = -((-off) / 100);
        }
    }
    let dt = Utc
        .timestamp_millis_opt(millis + (oh * 60 + om) * 60_000)
        .single()
        .ok_or_else(|| Err::new("D3110").value_json(millis.to_string()).build())?;
    let date = dt.date_naive();
    let mut out = String::new();
    for p in &parts {
        let m = match p {
            Part::Lit(s) => {
                out.push_str(s);
                continue;
            }
            Part::Mark(m) => m,
        };
        let c = m.component;
        let value: i64 = match c {
            'Y' => dt.year() as i64,
            'M' => dt.month() as i64,
            'D' => dt.day() as i64,
            'd' => dt.ordinal() as i64,
            'F' => dt.weekday().number_from_monday() as i64,
            'W' => iso_week(date).1 as i64,
            'w' => week_of_month(date).0 as i64,
            'X' => iso_week(date).0 as i64,
            'x' => week_of_month(date).1 as i64,
            'H' => dt.hour() as i64,
            'h' => {
                let h = dt.hour() % 12;
                if h == 0 { 12 } else { h as i64 }
            }
            'm' => dt.minute() as i64,
            's' => dt.second() as i64,
            'f' => (dt.nanosecond() / 1_000_000) as i64,
            _ => 0,
        };
        let text = match c {
            'Y' | 'M' | 'D' | 'd' | 'F' | 'W' | 'w' | 'X' | 'x' | 'H' | 'h' | 'm' | 's' | 'f' => {
                let mut v = value;
                if c == 'Y'
                    && let Some(n) = m.year_digits
                {
                    v %= 10i64.pow(n);
                }
                if let Some(names) = m.names {
                    let name = match c {
                        'M' | 'x' => MONTHS.get((v - 1).max(0) as usize).copied().unwrap_or(""),
                        'F' => DAYS.get(v as usize).copied().unwrap_or(""),
                        _ => return Err(Err::new("D3133").value_str(&c.to_string()).build()),
                    };
                    apply_names(name, names, m.width_max)
                } else if let Some(f) = &m.int {
                    format_integer(v as f64, f)
                } else {
                    v.to_string()
                }
            }
            'Z' | 'z' => {
                let offset = oh * 100 + om;
                let f = m.int.as_ref().ok_or_else(|| Err::new("D3134").build())?;
                let mut s = match &f.picture {
                    Picture::Decimal {
                        regular: Some(_), ..
                    } => format_integer(offset as f64, f),
                    Picture::Decimal { mandatory, .. } => match mandatory {
                        1 | 2 => {
                            let mut s = format_integer(oh as f64, f);
                            if om != 0 {
                                s.push_str(&format!(":{:02}", om.abs()));
                            }
                            s
                        }
                        3 | 4 => format_integer(offset as f64, f),
                        n => return Err(Err::new("D3134").value_json(n.to_string()).build()),
                    },
                    _ => format_integer(offset as f64, f),
                };
                if offset >= 0 {
                    s.insert(0, '+');
                }
                if c == 'z' {
                    s.insert_str(0, "GMT");
                }
                if offset == 0 && m.pres2 == Some('t') {
                    s = "Z".into();
                }
                s
            }
            'P' => {
                let s = if dt.hour() >= 12 { "pm" } else { "am" };
                if m.names == Some(Names::Upper) {
                    s.to_uppercase()
                } else {
                    s.to_string()
                }
            }
            'C' | 'E' => "ISO".to_string(),
            _ => String::new(),
        };
        out.push_str(&text);
    }
    Ok(out)
}

/// ISO 8601 timestamps as jsonata-js accepts them without a picture.
fn parse_iso(s: &str) -> Option<i64> {
    let re = regex_lite_iso();
    let caps = re.captures(s)?;
    let num = |i: usize| caps.get(i).map(|m| m.as_str().parse::<i64>().unwrap_or(0));
    let y = num(1)? as i32;
    let mo = num(2).unwrap_or(1) as u32;
    let d = num(3).unwrap_or(1) as u32;
    let h = num(4).unwrap_or(0) as u32;
    let mi = num(5).unwrap_or(0) as u32;
    let sec = num(6).unwrap_or(0) as u32;
    let frac = caps.get(7).map(|m| m.as_str()).unwrap_or("");
    let ms: i64 = if frac.is_empty() {
        0
    } else {
        let f: String = frac.chars().chain("000".chars()).take(3).collect();
        f.parse().unwrap_or(0)
    };
    let date = chrono::NaiveDate::from_ymd_opt(y, mo, d)?;
    let t = date.and_hms_opt(h, mi, sec)?;
    let mut millis = t.and_utc().timestamp_millis() + ms;
    if let Some(tz) = caps.get(8).map(|m| m.as_str())
        && tz != "Z"
    {
        let sign = if tz.starts_with('-') { -1 } else { 1 };
        let digits: String = tz.chars().filter(char::is_ascii_digit).collect();
        let oh: i64 = digits.get(0..2).and_then(|x| x.parse().ok()).unwrap_or(0);
        let om: i64 = digits.get(2..4).and_then(|x| x.parse().ok()).unwrap_or(0);
        millis -= sign * (oh * 60 + om) * 60_000;
    }
    Some(millis)
}

fn regex_lite_iso() -> &'static regex::Regex {
    static RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"^(\d{4})(?:-([01]\d))?(?:-([0-3]\d))?(?:T([0-2]\d):([0-5]\d)(?::([0-5]\d))?(?:\.(\d+))?)?([+-][0-2]\d:?[0-5]\d|Z)?$",
        )
        .expect("valid ISO regex")
    });
    &RE
}

fn int_regex(f: &IntFormat) -> String {
    match &f.picture {
        Picture::Decimal { .. } => {
            if f.ordinal {
                "[0-9]+(?:st|nd|rd|th)".into()
            } else {
                "[0-9]+".into()
            }
        }
        Picture::Roman { .. } => "[MDCLXVImdclxvi]+".into(),
        Picture::Letters { .. } => "[a-zA-Z]+".into(),
        Picture::Words { .. } => "[a-zA-Z, -]+".into(),
    }
}

fn parse_datetime(s: &str, picture: &str, now: i64) -> Result<Option<i64>> {
    let parts = analyse(picture)?;
    let mut re = String::from("(?i)^");
    let mut marks: Vec<&Marker> = Vec::new();
    for p in &parts {
        match p {
            Part::Lit(l) => re.push_str(&regex::escape(l)),
            Part::Mark(m) => {
                let r = match m.component {
                    'Z' | 'z' => r"(?:GMT)?[+-][0-9]{1,2}(?::?[0-9]{2})?|Z".to_string(),
                    'P' => "am|pm|AM|PM".to_string(),
                    _ if m.names.is_some() => "[a-zA-Z]+".to_string(),
                    _ => match &m.int {
                        Some(f) => match &f.picture {
                            Picture::Decimal { mandatory, .. } if *mandatory > 1 => {
                                format!("[0-9]{{{mandatory}}}")
                            }
                            _ => int_regex(f),
                        },
                        None => "[0-9]+".into(),
                    },
                };
                re.push_str(&format!("({r})"));
                marks.push(m);
            }
        }
    }
    re.push('$');
    for m in &marks {
        if m.names.is_some() && !"MxFP".contains(m.component) {
            return Err(Err::new("D3133")
                .value_str(&m.component.to_string())
                .build());
        }
        if "XxWw".contains(m.component) {
            return Err(Err::new("D3136").build());
        }
    }
    let Ok(regex) = regex::Regex::new(&re) else {
        return Ok(None);
    };
    let Some(caps) = regex.captures(s) else {
        return Ok(None);
    };
    let mut comp: std::collections::HashMap<char, i64> = std::collections::HashMap::new();
    for (i, m) in marks.iter().enumerate() {
        let text = caps.get(i + 1).map(|x| x.as_str()).unwrap_or("");
        let v = match m.component {
            'Z' | 'z' => {
                if text.eq_ignore_ascii_case("z") {
                    0
                } else {
                    let t = text.trim_start_matches("GMT");
                    let sign = if t.starts_with('-') { -1 } else { 1 };
                    let digits: String = t.chars().filter(char::is_ascii_digit).collect();
                    let (h, mi) = if digits.len() <= 2 {
                        (digits.parse::<i64>().unwrap_or(0), 0)
                    } else {
                        let split = digits.len() - 2;
                        (
                            digits[..split].parse::<i64>().unwrap_or(0),
                            digits[split..].parse::<i64>().unwrap_or(0),
                        )
                    };
                    sign * (h * 60 + mi)
                }
            }
            'P' => i64::from(text.eq_ignore_ascii_case("pm")),
            c if m.names.is_some() => {
                let t = text.to_lowercase();
                let found = if c == 'M' || c == 'x' {
                    MONTHS
                        .iter()
                        .position(|n| n.to_lowercase().starts_with(&t))
                        .map(|p| p as i64 + 1)
                } else {
                    DAYS.iter()
                        .position(|n| !n.is_empty() && n.to_lowercase().starts_with(&t))
                        .map(|p| p as i64)
                };
                match found {
                    Some(v) => v,
                    None => return Ok(None),
                }
            }
            _ => match &m.int {
                Some(f) => match parse_integer(text, f) {
                    Some(v) => v as i64,
                    None => return Ok(None),
                },
                None => text.parse().unwrap_or(0),
            },
        };
        comp.insert(m.component, v);
    }
    if comp.is_empty() {
        return Ok(None);
    }
    let date_b = comp.contains_key(&'d') && !comp.contains_key(&'M');
    let time_b = comp.contains_key(&'h') || comp.contains_key(&'P');
    let dc = if date_b { "YD" } else { "YMD" };
    let tc = if time_b { "Phmsf" } else { "Hmsf" };
    let nowdt = Utc.timestamp_millis_opt(now).single().unwrap_or_default();
    let now_frag = |c: char| -> i64 {
        match c {
            'Y' => nowdt.year() as i64,
            'M' => nowdt.month() as i64,
            'D' => nowdt.day() as i64,
            'H' => nowdt.hour() as i64,
            'h' => (nowdt.hour() % 12) as i64,
            'P' => i64::from(nowdt.hour() >= 12),
            'm' => nowdt.minute() as i64,
            's' => nowdt.second() as i64,
            'f' => (nowdt.nanosecond() / 1_000_000) as i64,
            _ => 0,
        }
    };
    let (mut started, mut ended) = (false, false);
    for c in dc.chars().chain(tc.chars()) {
        if let std::collections::hash_map::Entry::Vacant(e) = comp.entry(c) {
            if started {
                e.insert(if "MDd".contains(c) { 1 } else { 0 });
                ended = true;
            } else {
                e.insert(now_frag(c));
            }
        } else {
            started = true;
            if ended {
                return Err(Err::new("D3136").build());
            }
        }
    }
    let y = comp[&'Y'] as i32;
    let date = if date_b {
        chrono::NaiveDate::from_yo_opt(y, comp.get(&'d').copied().unwrap_or(1) as u32)
    } else {
        chrono::NaiveDate::from_ymd_opt(y, comp[&'M'].max(1) as u32, comp[&'D'].max(1) as u32)
    };
    let Some(date) = date else { return Ok(None) };
    let mut h = comp.get(&'H').copied().unwrap_or(0);
    if time_b {
        let hh = comp.get(&'h').copied().unwrap_or(0);
        h = if hh == 12 { 0 } else { hh };
        if comp.get(&'P') == Some(&1) {
            h += 12;
        }
    }
    let Some(t) = date.and_hms_opt(h as u32, comp[&'m'] as u32, comp[&'s'] as u32) else {
        return Ok(None);
    };
    let mut millis = t.and_utc().timestamp_millis() + comp[&'f'];
    if let Some(z) = comp.get(&'Z').or(comp.get(&'z')) {
        millis -= z * 60_000;
    }
    Ok(Some(millis))
}
