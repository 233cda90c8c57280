//! `$formatNumber`: XPath `format-number` pictures, following jsonata-js's algorithm.

use super::arg;
use super::numeric::round_half_even;
use crate::error::{Err, Result};
use crate::eval::Ctx;
use crate::value::Value;

struct Props {
    decimal: char,
    grouping: char,
    exponent: char,
    minus: char,
    percent: char,
    permille: char,
    zero: char,
    digit: char,
    pattern: char,
}

struct Pic {
    prefix: Vec<char>,
    suffix: Vec<char>,
    picture: Vec<char>,
    int_groups: Vec<usize>,
    regular: usize,
    min_int: usize,
    scaling: usize,
    frac_groups: Vec<usize>,
    min_frac: usize,
    max_frac: usize,
    min_exp: usize,
    has_exp: bool,
}

fn prop_char(opts: &Value<'_>, key: &str, default: char) -> char {
    opts.get_field(key)
        .as_str()
        .and_then(|s| s.chars().next())
        .unwrap_or(default)
}

pub(crate) fn format_number<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    let Some(value) = arg(&args, 0).as_f64() else {
        return Ok(Value::Undefined);
    };
    crate::value::check_finite(value)?;
    let picture: Vec<char> = arg(&args, 1).as_str().unwrap_or_default().chars().collect();
    let opts = arg(&args, 2);
    let p = Props {
        decimal: prop_char(&opts, "decimal-separator", '.'),
        grouping: prop_char(&opts, "grouping-separator", ','),
        exponent: prop_char(&opts, "exponent-separator", 'e'),
        minus: prop_char(&opts, "minus-sign", '-'),
        percent: prop_char(&opts, "percent", '%'),
        permille: prop_char(&opts, "per-mille", '\u{2030}'),
        zero: prop_char(&opts, "zero-digit", '0'),
        digit: prop_char(&opts, "digit", '#'),
        pattern: prop_char(&opts, "pattern-separator", ';'),
    };
    let family: Vec<char> = (0..10).filter_map(|i| char::from_u32(p.zero as u32 + i)).collect();
    let is_digit = |c: char| family.contains(&c);
    let active = |c: char| is_digit(c) || [p.decimal, p.exponent, p.grouping, p.digit, p.pattern].contains(&c);
    let subs: Vec<Vec<char>> = picture.split(|c| *c == p.pattern).map(<[char]>::to_vec).collect();
    if subs.len() > 2 {
        return Err(Err::new("D3080").build());
    }
    let mut pics = Vec::new();
    for sub in &subs {
        let pre_len = sub
            .iter()
            .position(|&c| active(c) && c != p.exponent)
            .unwrap_or(sub.len());
        let suf_start = sub
            .iter()
            .rposition(|&c| active(c) && c != p.exponent)
            .map(|i| i + 1)
            .unwrap_or(sub.len());
        let prefix = sub[..pre_len].to_vec();
        let suffix = sub[suf_start.max(pre_len)..].to_vec();
        let activep = &sub[pre_len..suf_start.max(pre_len)];
        let exp_pos = sub
            .iter()
            .skip(pre_len)
            .position(|&c| c == p.exponent)
            .map(|i| i + pre_len);
        let (mantissa, exp_part): (Vec<char>, Option<Vec<char>>) = match exp_pos {
            // JS `substring` clamps its bounds; so do these slices.
            Some(e) if e <= suf_start => (
                activep[..(e - pre_len).min(activep.len())].to_vec(),
                Some(activep.get(e - pre_len + 1..).unwrap_or_default().to_vec()),
            ),
            _ => (activep.to_vec(), None),
        };
        let (int_part, frac_part) = match mantissa.iter().position(|&c| c == p.decimal) {
            Some(d) => (mantissa[..d].to_vec(), mantissa[d + 1..].to_vec()),
            None => (mantissa.clone(), suffix.clone()),
        };
        // Validation, in jsonata-js's order.
        let count = |c: char| sub.iter().filter(|&&x| x == c).count();
        if count(p.decimal) > 1 {
            return Err(Err::new("D3081").build());
        }
        if count(p.percent) > 1 {
            return Err(Err::new("D3082").build());
        }
        if count(p.permille) > 1 {
            return Err(Err::new("D3083").build());
        }
        if count(p.percent) > 0 && count(p.permille) > 0 {
            return Err(Err::new("D3084").build());
        }
        if !mantissa.iter().any(|&c| c == p.digit || is_digit(c)) {
            return Err(Err::new("D3085").build());
        }
        if activep.iter().any(|&c| !active(c)) {
            return Err(Err::new("D3086").build());
        }
        let ms: String = mantissa.iter().collect();
        let g = p.grouping;
        if ms.contains(&format!("{g}{}", p.decimal)) || ms.contains(&format!("{}{g}", p.decimal)) {
            return Err(Err::new("D3087").build());
        }
        if int_part.last() == Some(&g) {
            return Err(Err::new("D3088").build());
        }
        if ms.contains(&format!("{g}{g}")) {
            return Err(Err::new("D3089").build());
        }
        if let Some(first_digit) = int_part.iter().position(|&c| is_digit(c))
            && int_part[first_digit..].contains(&p.digit)
        {
            return Err(Err::new("D3090").build());
        }
        if let Some(first_opt) = frac_part.iter().position(|&c| c == p.digit)
            && frac_part[first_opt..].iter().any(|&c| is_digit(c))
        {
            return Err(Err::new("D3091").build());
        }
        if exp_part.is_some() && (count(p.percent) > 0 || count(p.permille) > 0) {
            return Err(Err::new("D3092").build());
        }
        if let Some(e) = &exp_part
            && (e.is_empty() || e.iter().any(|&c| !is_digit(c)))
        {
            return Err(Err::new("D3093").build());
        }
        let groups = |part: &[char], to_left: bool| -> Vec<usize> {
            let mut out = Vec::new();
            for (i, &c) in part.iter().enumerate() {
                if c == g {
                    let side = if to_left { &part[..i] } else { &part[i..] };
                    out.push(side.iter().filter(|&&x| is_digit(x) || x == p.digit).count());
                }
            }
            out
        };
        let int_groups = groups(&int_part, false);
        let regular = {
            fn gcd(a: usize, b: usize) -> usize {
                if b == 0 { a } else { gcd(b, a % b) }
            }
            if int_groups.is_empty() {
                0
            } else {
                let f = int_groups.iter().copied().fold(0, gcd);
                if f > 0 && (1..=int_groups.len()).all(|k| int_groups.contains(&(k * f))) {
                    f
                } else {
                    0
                }
            }
        };
        let frac_groups = groups(&frac_part, true);
        let mut min_int = int_part.iter().filter(|&&c| is_digit(c)).count();
        let scaling = min_int;
        let mut min_frac = frac_part.iter().filter(|&&c| is_digit(c)).count();
        let mut max_frac = frac_part.iter().filter(|&&c| is_digit(c) || c == p.digit).count();
        let has_exp = exp_part.is_some();
        if min_int == 0 && max_frac == 0 {
            if has_exp {
                min_frac = 1;
                max_frac = 1;
            } else {
                min_int = 1;
            }
        }
        if has_exp && min_int == 0 && int_part.contains(&p.digit) {
            min_int = 1;
        }
        if min_int == 0 && min_frac == 0 {
            min_frac = 1;
        }
        let min_exp = exp_part
            .map(|e| e.iter().filter(|&&c| is_digit(c)).count())
            .unwrap_or(0);
        pics.push(Pic {
            prefix,
            suffix,
            picture: sub.clone(),
            int_groups,
            regular,
            min_int,
            scaling,
            frac_groups,
            min_frac,
            max_frac,
            min_exp,
            has_exp,
        });
    }
    if pics.len() == 1 {
        let first = &pics[0];
        let mut neg = Pic {
            prefix: first.prefix.clone(),
            suffix: first.suffix.clone(),
            picture: first.picture.clone(),
            int_groups: first.int_groups.clone(),
            regular: first.regular,
            min_int: first.min_int,
            scaling: first.scaling,
            frac_groups: first.frac_groups.clone(),
            min_frac: first.min_frac,
            max_frac: first.max_frac,
            min_exp: first.min_exp,
            has_exp: first.has_exp,
        };
        neg.prefix.insert(0, p.minus);
        pics.push(neg);
    }
    let pic = if value >= 0.0 { &pics[0] } else { &pics[1] };
    let adjusted = if pic.picture.contains(&p.percent) {
        value * 100.0
    } else if pic.picture.contains(&p.permille) {
        value * 1000.0
    } else {
        value
    };
    let (mantissa, exponent) = if pic.min_exp == 0 && !pic.has_exp {
        (adjusted, None)
    } else {
        let max_m = 10f64.powi(pic.scaling as i32);
        let min_m = 10f64.powi(pic.scaling as i32 - 1);
        let (mut m, mut e) = (adjusted, 0i32);
        if m != 0.0 {
            while m.abs() < min_m {
                m *= 10.0;
                e -= 1;
            }
            while m.abs() > max_m {
                m /= 10.0;
                e += 1;
            }
        }
        (m, Some(e))
    };
    let rounded = round_half_even(mantissa, pic.max_frac as i32);
    let to_family = |s: String| -> Vec<char> {
        s.chars()
            .map(|c| match c.to_digit(10) {
                Some(d) => char::from_u32(p.zero as u32 + d).unwrap_or(c),
                None => c,
            })
            .collect()
    };
    let mut sv = to_family(format!("{:.*}", pic.max_frac, rounded.abs()));
    match sv.iter().position(|&c| c == '.') {
        Some(i) => sv[i] = p.decimal,
        None => sv.push(p.decimal),
    }
    while sv.first() == Some(&p.zero) {
        sv.remove(0);
    }
    while sv.last() == Some(&p.zero) {
        sv.pop();
    }
    let dp = sv.iter().position(|&c| c == p.decimal).unwrap_or(sv.len());
    let pad_left = pic.min_int as i64 - dp as i64;
    let pad_right = pic.min_frac as i64 - (sv.len() as i64 - dp as i64 - 1);
    if pad_left > 0 {
        for _ in 0..pad_left {
            sv.insert(0, p.zero);
        }
    }
    if pad_right > 0 {
        sv.extend(std::iter::repeat_n(p.zero, pad_right as usize));
    }
    let mut dp = sv.iter().position(|&c| c == p.decimal).unwrap_or(sv.len());
    if let Some(groups) = dp.saturating_sub(1).checked_div(pic.regular) {
        for gi in 1..=groups {
            sv.insert(dp - gi * pic.regular, p.grouping);
        }
    } else {
        for &pos in &pic.int_groups {
            if pos <= dp {
                sv.insert(dp - pos, p.grouping);
                dp += 1;
            }
        }
    }
    let dp = sv.iter().position(|&c| c == p.decimal).unwrap_or(sv.len());
    for &pos in &pic.frac_groups {
        let at = pos + dp + 1;
        if at <= sv.len() {
            sv.insert(at, p.grouping);
        }
    }
    let dp = sv.iter().position(|&c| c == p.decimal).unwrap_or(sv.len());
    if pic.min_frac == 0 && dp + 1 == sv.len() {
        sv.pop();
    }
    if let Some(e) = exponent {
        let mut es = to_family(e.abs().to_string());
        while es.len() < pic.min_exp {
            es.insert(0, p.zero);
        }
        sv.push(p.exponent);
        if e < 0 {
            sv.push(p.minus);
        }
        sv.extend(es);
    }
    let out: String = pic.prefix.iter().chain(sv.iter()).chain(pic.suffix.iter()).collect();
    Ok(Value::string(out))
}
