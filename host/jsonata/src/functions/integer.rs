//! XPath-style integer pictures (`$formatInteger`, `$parseInteger`, and the numeric
//! components of date pictures): decimal digit patterns with grouping, roman numerals,
//! alphabetic sequences, words, and ordinals.

use crate::error::{Err, Result};

const ONES: [&str; 20] = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
];
const TENS: [&str; 10] = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];
const ORD_ONES: [&str; 20] = [
    "zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
    "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth",
    "nineteenth",
];
const ORD_TENS: [&str; 10] =
    ["", "", "twentieth", "thirtieth", "fortieth", "fiftieth", "sixtieth", "seventieth", "eightieth", "ninetieth"];
const SCALES: [(u64, &str); 4] =
    [(1_000_000_000_000_000_000, "quintillion"), (1_000_000_000_000, "trillion"), (1_000_000_000, "billion"), (1_000_000, "million")];

/// English words for a non-negative integer, jsonata style ("one hundred and one").
pub(crate) fn to_words(n: u64, ordinal: bool) -> String {
    fn lt1000(n: u64, ordinal: bool, prefix_and: bool) -> String {
        let mut parts = String::new();
        let h = n / 100;
        let r = n % 100;
        if h > 0 {
            parts.push_str(ONES[h as usize]);
            if r == 0 {
                parts.push_str(if ordinal { " hundredth" } else { " hundred" });
                return parts;
            }
            parts.push_str(" hundred and ");
        } else if prefix_and {
            parts.push_str("and ");
        }
        if r < 20 {
            parts.push_str(if ordinal { ORD_ONES[r as usize] } else { ONES[r as usize] });
        } else {
            let t = (r / 10) as usize;
            let o = (r % 10) as usize;
            if o == 0 {
                parts.push_str(if ordinal { ORD_TENS[t] } else { TENS[t] });
            } else {
                parts.push_str(TENS[t]);
                parts.push('-');
                parts.push_str(if ordinal { ORD_ONES[o] } else { ONES[o] });
            }
        }
        parts
    }
    if n == 0 {
        return if ordinal { "zeroth".into() } else { "zero".into() };
    }
    let mut out: Vec<String> = Vec::new();
    let mut rest = n;
    for (scale, name) in SCALES.iter().copied().chain([(1000, "thousand")]) {
        if rest >= scale {
            let q = rest / scale;
            rest %= scale;
            let ord_here = ordinal && rest == 0;
            let words = to_words(q, false);
            out.push(format!("{words} {}{}", name, if ord_here { "th" } else { "" }));
        }
    }
    if rest > 0 || out.is_empty() {
        let and = !out.is_empty() && rest < 100;
        out.push(lt1000(rest, ordinal, and));
    }
    out.join(", ")
}

fn word_value(w: &str) -> Option<u64> {
    let w = w.trim();
    let lists: [(&[&str], u64); 2] = [(&ONES, 1), (&ORD_ONES, 1)];
    for (list, _) in lists {
        if let Some(i) = list.iter().position(|x| *x == w) {
            return Some(i as u64);
        }
    }
    if let Some(i) = TENS.iter().position(|x| !x.is_empty() && *x == w) {
        return Some(i as u64 * 10);
    }
    if let Some(i) = ORD_TENS.iter().position(|x| !x.is_empty() && *x == w) {
        return Some(i as u64 * 10);
    }
    None
}

/// Inverse of [`to_words`].
pub(crate) fn from_words(s: &str) -> Option<u64> {
    let s = s.to_lowercase().replace(',', " ").replace(" and ", " ").replace('-', " ");
    let mut total: u64 = 0;
    let mut current: u64 = 0;
    for w in s.split_whitespace() {
        let w = w.trim_end_matches("th").to_string();
        let w = if w == "hundred" || w.starts_with("hundred") {
            "hundred".to_string()
        } else {
            w
        };
        match w.as_str() {
            "hundred" => current *= 100,
            "thousand" | "thousandth" => {
                total += current * 1000;
                current = 0;
            }
            "million" | "millionth" => {
                total += current * 1_000_000;
                current = 0;
            }
            "billion" | "billionth" => {
                total += current * 1_000_000_000;
                current = 0;
            }
            "trillion" | "trillionth" => {
                total += current * 1_000_000_000_000;
                current = 0;
            }
            _ => {
                let v = word_value(&w)
                    .or_else(|| word_value(&format!("{w}th")))
                    .or_else(|| word_value(&format!("{w}h")))
                    .or_else(|| match w.as_str() {
                        "fir" | "firs" => Some(1),
                        "seco" | "secon" => Some(2),
                        "thi" | "thir" => Some(3),
                        "fif" => Some(5),
                        "eigh" => Some(8),
                        "nin" => Some(9),
                        "twelf" => Some(12),
                        "twentie" => Some(20),
                        "thirtie" => Some(30),
                        "fortie" => Some(40),
                        "fiftie" => Some(50),
                        "sixtie" => Some(60),
                        "seventie" => Some(70),
                        "eightie" => Some(80),
                        "ninetie" => Some(90),
                        _ => None,
                    })?;
                current += v;
            }
        }
    }
    Some(total + current)
}

const ROMAN: [(u64, &str); 13] = [
    (1000, "m"),
    (900, "cm"),
    (500, "d"),
    (400, "cd"),
    (100, "c"),
    (90, "xc"),
    (50, "l"),
    (40, "xl"),
    (10, "x"),
    (9, "ix"),
    (5, "v"),
    (4, "iv"),
    (1, "i"),
];

pub(crate) fn to_roman(mut n: u64) -> String {
    let mut s = String::new();
    for (v, r) in ROMAN {
        while n >= v {
            s.push_str(r);
            n -= v;
        }
    }
    s
}

pub(crate) fn from_roman(s: &str) -> u64 {
    let val = |c: char| match c.to_ascii_lowercase() {
        'i' => 1,
        'v' => 5,
        'x' => 10,
        'l' => 50,
        'c' => 100,
        'd' => 500,
        'm' => 1000,
        _ => 0,
    };
    let cs: Vec<u64> = s.chars().map(val).collect();
    let mut total = 0i64;
    for i in 0..cs.len() {
        if i + 1 < cs.len() && cs[i] < cs[i + 1] {
            total -= cs[i] as i64;
        } else {
            total += cs[i] as i64;
        }
    }
    total.max(0) as u64
}

pub(crate) fn to_letters(mut n: u64, base: char) -> String {
    let mut out = Vec::new();
    while n > 0 {
        let d = ((n - 1) % 26) as u8;
        out.push((base as u8 + d) as char);
        n = (n - 1) / 26;
    }
    out.into_iter().rev().collect()
}

pub(crate) fn from_letters(s: &str) -> u64 {
    s.chars().fold(0, |acc, c| acc * 26 + (c.to_ascii_lowercase() as u64 - 'a' as u64 + 1))
}

fn ordinal_suffix(n: u64) -> &'static str {
    match (n % 10, n % 100) {
        (1, x) if x != 11 => "st",
        (2, x) if x != 12 => "nd",
        (3, x) if x != 13 => "rd",
        _ => "th",
    }
}

/// A parsed integer picture.
#[derive(Debug, Clone)]
pub(crate) enum Picture {
    Decimal { mandatory: usize, grouping: Vec<(usize, char)>, regular: Option<(usize, char)>, zero: u32 },
    Roman { upper: bool },
    Letters { upper: bool },
    Words { case: WordCase },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum WordCase {
    Lower,
    Upper,
    Title,
}

#[derive(Debug)]
pub(crate) struct IntFormat {
    pub picture: Picture,
    pub ordinal: bool,
}

fn zero_of(c: char) -> Option<u32> {
    let d = c.to_digit(10).map(|_| '0' as u32).or_else(|| {
        // Unicode decimal digit families: runs of 10 starting at a code point ending in 0.
        let cp = c as u32;
        const ZEROS: [u32; 8] = [0x660, 0x6F0, 0x966, 0x9E6, 0xFF10, 0x1D7CE, 0x1D7D8, 0x1D7E2];
        ZEROS.iter().copied().find(|z| (*z..*z + 10).contains(&cp))
    })?;
    Some(d)
}

pub(crate) fn parse_picture(picture: &str) -> Result<IntFormat> {
    let (primary, modifier) = match picture.rfind(';') {
        Some(i) => (&picture[..i], &picture[i + 1..]),
        None => (picture, ""),
    };
    let ordinal = modifier.starts_with('o');
    let pic = match primary {
        "A" => Picture::Letters { upper: true },
        "a" => Picture::Letters { upper: false },
        "I" => Picture::Roman { upper: true },
        "i" => Picture::Roman { upper: false },
        "W" => Picture::Words { case: WordCase::Upper },
        "w" => Picture::Words { case: WordCase::Lower },
        "Ww" => Picture::Words { case: WordCase::Title },
        _ => {
            let mut zero = None;
            let mut mandatory = 0;
            let mut positions = Vec::new();
            let mut digits_seen = 0usize;
            let chars: Vec<char> = primary.chars().collect();
            for (i, &c) in chars.iter().enumerate().rev() {
                if let Some(z) = zero_of(c) {
                    if zero.is_some_and(|zz| zz != z) {
                        return Err(Err::new("D3131").build());
                    }
                    zero = Some(z);
                    mandatory += 1;
                    digits_seen += 1;
                } else if c == '#' {
                    digits_seen += 1;
                } else if i > 0 || digits_seen > 0 {
                    positions.push((digits_seen, c));
                }
            }
            let Some(zero) = zero else {
                let first = primary.chars().next().unwrap_or('#');
                if primary.is_empty() || first == '#' {
                    return Err(Err::new("D3130").value_str(primary).build());
                }
                return Err(Err::new("D3130").value_str(primary).build());
            };
            let regular = match positions.as_slice() {
                [] => None,
                [(p, c), rest @ ..] => {
                    let all_same = rest.iter().all(|(_, rc)| rc == c);
                    let multiples = positions.iter().enumerate().all(|(k, (pp, _))| *pp == p * (k + 1));
                    (all_same && multiples).then_some((*p, *c))
                }
            };
            Picture::Decimal { mandatory, grouping: positions, regular, zero }
        }
    };
    Ok(IntFormat { picture: pic, ordinal })
}

pub(crate) fn format_integer(n: f64, fmt: &IntFormat) -> String {
    let neg = n < 0.0;
    let a = n.abs().floor() as u64;
    let body = match &fmt.picture {
        Picture::Letters { upper } => to_letters(a, if *upper { 'A' } else { 'a' }),
        Picture::Roman { upper } => {
            let r = to_roman(a);
            if *upper { r.to_uppercase() } else { r }
        }
        Picture::Words { case } => {
            let w = to_words(a, fmt.ordinal);
            match case {
                WordCase::Lower => w,
                WordCase::Upper => w.to_uppercase(),
                WordCase::Title => w
                    .split(' ')
                    .map(|p| {
                        if p == "and" {
                            return p.to_string();
                        }
                        let mut c = p.chars();
                        c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
                    })
                    .collect::<Vec<_>>()
                    .join(" "),
            }
        }
        Picture::Decimal { mandatory, grouping, regular, zero } => {
            let mut digits: Vec<char> =
                a.to_string().chars().map(|c| char::from_u32(zero + c.to_digit(10).unwrap_or(0)).unwrap_or(c)).collect();
            while digits.len() < *mandatory {
                digits.insert(0, char::from_u32(*zero).unwrap_or('0'));
            }
            let mut out: Vec<char> = Vec::new();
            let len = digits.len();
            for (i, d) in digits.iter().rev().enumerate() {
                if i > 0 {
                    if let Some((every, sep)) = regular {
                        if i % every == 0 {
                            out.push(*sep);
                        }
                    } else if let Some((_, sep)) = grouping.iter().find(|(p, _)| *p == i) {
                        out.push(*sep);
                    }
                }
                out.push(*d);
            }
            let _ = len;
            let mut s: String = out.into_iter().rev().collect();
            if fmt.ordinal {
                s.push_str(ordinal_suffix(a));
            }
            s
        }
    };
    if neg { format!("-{body}") } else { body }
}

/// Parse `s` per an integer picture; `None` when it does not match.
pub(crate) fn parse_integer(s: &str, fmt: &IntFormat) -> Option<f64> {
    Some(match &fmt.picture {
        Picture::Letters { .. } => from_letters(s) as f64,
        Picture::Roman { .. } => from_roman(s) as f64,
        Picture::Words { .. } => from_words(s)? as f64,
        Picture::Decimal { zero, .. } => {
            let mut v: f64 = 0.0;
            let mut any = false;
            let t = if fmt.ordinal { s.trim_end_matches(|c: char| c.is_alphabetic()) } else { s };
            for c in t.chars() {
                let cp = c as u32;
                if (*zero..*zero + 10).contains(&cp) {
                    v = v * 10.0 + (cp - zero) as f64;
                    any = true;
                }
            }
            if !any {
                return None;
            }
            v
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_ordinals() {
        assert_eq!(to_words(123, false), "one hundred and twenty-three");
        assert_eq!(to_words(21, true), "twenty-first");
        assert_eq!(from_words("one hundred and twenty-three"), Some(123));
    }

    #[test]
    fn decimal_grouping_and_roman() {
        let f = parse_picture("#,##0").unwrap();
        assert_eq!(format_integer(1234567.0, &f), "1,234,567");
        assert_eq!(to_roman(1999), "mcmxcix");
        assert_eq!(from_roman("MCMXCIX"), 1999);
        assert_eq!(to_letters(27, 'a'), "aa");
    }
}
