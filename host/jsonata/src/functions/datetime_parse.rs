//! `$toMillis` parsing: ISO 8601 without a picture, or a regex generated from an XPath
//! picture string with jsonata-js's rules for defaulting missing components.

use chrono::{Datelike, TimeZone, Timelike, Utc};

use super::datetime::{DAYS, MONTHS, Marker, Part, analyse};
use super::integer::{IntFormat, Picture, parse_integer};
use crate::error::{Err, Result};

/// ISO 8601 timestamps as jsonata-js accepts them without a picture.
pub(super) fn parse_iso(s: &str) -> Option<i64> {
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

fn names_regex(names: &[&str]) -> String {
    let full = names.iter().map(|n| n.to_string());
    let short = names.iter().map(|n| n.chars().take(3).collect::<String>());
    format!("(?:{})", full.chain(short).collect::<Vec<_>>().join("|"))
}

pub(super) fn parse_datetime(s: &str, picture: &str, now: i64) -> Result<Option<i64>> {
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
                    // Name alternatives (full names first, then 3-letter forms) so that a
                    // greedy neighbouring component cannot swallow the name.
                    'M' | 'x' if m.names.is_some() => names_regex(&MONTHS),
                    'F' if m.names.is_some() => names_regex(&DAYS[1..]),
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
            return Err(Err::new("D3133").value_str(&m.component.to_string()).build());
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
    let mut millis = t.and_utc().timestamp_millis().saturating_add(comp[&'f']);
    if let Some(z) = comp.get(&'Z').or(comp.get(&'z')) {
        millis = millis.saturating_sub(z.saturating_mul(60_000));
    }
    Ok(Some(millis))
}
