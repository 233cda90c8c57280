//! Date/time functions: `$now`, `$millis`, `$fromMillis`/`$toMillis` with XPath picture
//! strings, and the integer picture functions built on the same machinery.

use chrono::{Datelike, TimeZone, Timelike, Utc};

use super::arg;
use super::integer::{IntFormat, Picture, format_integer, parse_integer, parse_picture};
use crate::error::{Err, Result};
use crate::eval::Ctx;
use crate::value::Value;

pub(super) const DAYS: [&str; 8] = [
    "",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
pub(super) const MONTHS: [&str; 12] = [
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

pub(crate) fn format_integer_fn<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    let Some(n) = arg(&args, 0).as_f64() else {
        return Ok(Value::Undefined);
    };
    let n = crate::value::check_finite(n)?;
    let pic = arg(&args, 1);
    let fmt = parse_picture(pic.as_str().unwrap_or_default())?;
    Ok(Value::string(format_integer(n, &fmt)?))
}

pub(crate) fn parse_integer_fn<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    let Some(s) = arg(&args, 0).as_str().map(str::to_string) else {
        return Ok(Value::Undefined);
    };
    let fmt = parse_picture(arg(&args, 1).as_str().unwrap_or_default())?;
    Ok(parse_integer(&s, &fmt).map(Value::Number).unwrap_or_default())
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

pub(crate) fn from_millis<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    let Some(ms) = arg(&args, 0).as_f64() else {
        return Ok(Value::Undefined);
    };
    let pic = arg(&args, 1);
    let tz = arg(&args, 2);
    Ok(Value::string(format_datetime(ms as i64, pic.as_str(), tz.as_str())?))
}

pub(crate) fn to_millis<'a>(ctx: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    let Some(s) = arg(&args, 0).as_str().map(str::to_string) else {
        return Ok(Value::Undefined);
    };
    match arg(&args, 1).as_str() {
        None => super::datetime_parse::parse_iso(&s)
            .map(|m| Value::Number(m as f64))
            .ok_or_else(|| Err::new("D3110").value_str(&s).build()),
        Some(p) => Ok(super::datetime_parse::parse_datetime(&s, p, ctx.now_millis)?
            .map(|m| Value::Number(m as f64))
            .unwrap_or_default()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Names {
    Upper,
    Lower,
    Title,
}

#[derive(Debug)]
pub(super) struct Marker {
    pub(super) component: char,
    pub(super) names: Option<Names>,
    pub(super) int: Option<IntFormat>,
    pub(super) pres2: Option<char>,
    pub(super) width_max: Option<usize>,
    /// Year truncation width (jsonata's `n`), when set.
    pub(super) year_digits: Option<u32>,
}

#[derive(Debug)]
pub(super) enum Part {
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

pub(super) fn analyse(picture: &str) -> Result<Vec<Part>> {
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
        let marker: String = chars[i + 1..end].iter().filter(|c| !c.is_whitespace()).collect();
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
            m.names = Some(if pres1.strip_prefix('N').is_some_and(|r| r.starts_with('n')) {
                Names::Title
            } else {
                Names::Upper
            });
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

pub(crate) fn format_datetime(millis: i64, picture: Option<&str>, tz: Option<&str>) -> Result<String> {
    let parts = analyse(picture.unwrap_or("[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]"))?;
    let (mut oh, mut om) = (0i64, 0i64);
    if let Some(t) = tz {
        let digits: String = t
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '-' || *c == '+')
            .collect();
        // Offsets beyond ±99:59 are meaningless; clamping keeps the arithmetic in range.
        let off: i64 = digits.parse::<i64>().unwrap_or(0).clamp(-9999, 9999);
        oh = off.div_euclid(100);
        om = off % 100;
        if off < 0 && om != 0 {
            oh = -((-off) / 100);
        }
    }
    let dt = Utc
        .timestamp_millis_opt(millis.saturating_add((oh * 60 + om) * 60_000))
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
                    && let Some(m) = 10i64.checked_pow(n)
                {
                    v %= m;
                }
                if let Some(names) = m.names {
                    let name = match c {
                        'M' | 'x' => MONTHS.get((v - 1).max(0) as usize).copied().unwrap_or(""),
                        'F' => DAYS.get(v as usize).copied().unwrap_or(""),
                        _ => return Err(Err::new("D3133").value_str(&c.to_string()).build()),
                    };
                    apply_names(name, names, m.width_max)
                } else if let Some(f) = &m.int {
                    format_integer(v as f64, f)?
                } else {
                    v.to_string()
                }
            }
            'Z' | 'z' => {
                let offset = oh * 100 + om;
                let f = m.int.as_ref().ok_or_else(|| Err::new("D3134").build())?;
                let mut s = match &f.picture {
                    Picture::Decimal { regular: Some(_), .. } => format_integer(offset as f64, f)?,
                    Picture::Decimal { mandatory, .. } => match mandatory {
                        1 | 2 => {
                            let mut s = format_integer(oh as f64, f)?;
                            if om != 0 {
                                s.push_str(&format!(":{:02}", om.abs()));
                            }
                            s
                        }
                        3 | 4 => format_integer(offset as f64, f)?,
                        n => return Err(Err::new("D3134").value_json(n.to_string()).build()),
                    },
                    _ => format_integer(offset as f64, f)?,
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
