//! XPath-style integer pictures (`$formatInteger`, `$parseInteger`, and the numeric
//! components of date pictures): decimal digit patterns with grouping, roman numerals,
//! alphabetic sequences, words, and ordinals.

use crate::error::{Err, Result};

const ONES: [&str; 20] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
const TENS: [&str; 10] = [
    "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
];
const ORD_ONES: [&str; 20] = [
    "zeroth",
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
];
const ORD_TENS: [&str; 10] = [
    "",
    "",
    "twentieth",
    "thirtieth",
    "fortieth",
    "fiftieth",
    "sixtieth",
    "seventieth",
    "eightieth",
    "ninetieth",
];

const MAGNITUDES: [&str; 4] = ["thousand", "million", "billion", "trillion"];

/// English words for a non-negative integer, as jsonata-js's `numberToWords` spells them.
pub(crate) fn to_words(n: f64, ordinal: bool) -> String {
    fn lookup(num: f64, prev: bool, ord: bool) -> String {
        let mut words = String::new();
        if !num.is_finite() || num < 0.0 {
            return words;
        }
        if num <= 19.0 {
            if prev {
                words.push_str(" and ");
            }
            let i = num as usize;
            words.push_str(if ord { ORD_ONES[i] } else { ONES[i] });
        } else if num < 100.0 {
            let tens = (num / 10.0).floor() as usize;
            let rem = num % 10.0;
            if prev {
                words.push_str(" and ");
            }
            words.push_str(if ord && rem == 0.0 { ORD_TENS[tens] } else { TENS[tens] });
            if rem > 0.0 {
                words.push('-');
                words.push_str(&lookup(rem, false, ord));
            }
        } else if num < 1000.0 {
            let hundreds = (num / 100.0).floor() as usize;
            let rem = num % 100.0;
            if prev {
                words.push_str(", ");
            }
            words.push_str(ONES[hundreds]);
            words.push_str(" hundred");
            if rem > 0.0 {
                words.push_str(&lookup(rem, true, ord));
            } else if ord {
                words.push_str("th");
            }
        } else {
            let mut mag = ((num.log10() / 3.0).floor() as usize).max(1);
            if mag > MAGNITUDES.len() {
                mag = MAGNITUDES.len();
            }
            let factor = 10f64.powi(mag as i32 * 3);
            let mant = (num / factor).floor();
            let rem = num - mant * factor;
            if prev {
                words.push_str(", ");
            }
            words.push_str(&lookup(mant, false, false));
            words.push(' ');
            words.push_str(MAGNITUDES[mag - 1]);
            if rem > 0.0 {
                words.push_str(&lookup(rem, true, ord));
            } else if ord {
                words.push_str("th");
            }
        }
        words
    }
    lookup(n, false, ordinal)
}

/// Inverse of [`to_words`] (jsonata-js `wordsToNumber`).
pub(crate) fn from_words(s: &str) -> Option<f64> {
    let text = s.to_lowercase();
    let splitter = regex::Regex::new(r",\s|\sand\s|[\s\\-]").ok()?;
    let mut segs: Vec<f64> = vec![0.0];
    for part in splitter.split(&text) {
        let v = if let Some(i) = ONES.iter().position(|w| *w == part) {
            i as f64
        } else if let Some(i) = ORD_ONES.iter().position(|w| *w == part) {
            i as f64
        } else if let Some(i) = TENS.iter().position(|w| !w.is_empty() && *w == part) {
            i as f64 * 10.0
        } else if let Some(i) = ORD_TENS.iter().position(|w| !w.is_empty() && *w == part) {
            i as f64 * 10.0
        } else if let Some(i) = MAGNITUDES
            .iter()
            .position(|w| *w == part || part.strip_suffix("th") == Some(w))
        {
            10f64.powi((i as i32 + 1) * 3)
        } else if part == "hundred" || part == "hundredth" || part == "hundreth" {
            100.0
        } else {
            return None;
        };
        if v < 100.0 {
            let mut top = segs.pop().unwrap_or(0.0);
            if top >= 1000.0 {
                segs.push(top);
                top = 0.0;
            }
            segs.push(top + v);
        } else {
            let top = segs.pop().unwrap_or(0.0);
            segs.push(top * v);
        }
    }
    Some(segs.iter().sum())
}

/// Widest zero-padding a picture may ask for (bounds work on untrusted pictures).
const MAX_PICTURE_WIDTH: usize = 10_000;

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

pub(crate) fn to_roman(mut n: u64) -> Result<String> {
    // Thousands are a run of `m`s, so the length is linear in the number: bound it first.
    crate::functions::string::check_len((n / 1000) as f64)?;
    let mut s = "m".repeat((n / 1000) as usize);
    n %= 1000;
    for (v, r) in ROMAN {
        while n >= v {
            s.push_str(r);
            n -= v;
        }
    }
    Ok(s)
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

/// Inverse of [`to_letters`]; `None` unless the text is all ASCII letters.
pub(crate) fn from_letters(s: &str) -> Option<f64> {
    s.chars().try_fold(0f64, |acc, c| {
        c.is_ascii_alphabetic()
            .then(|| acc * 26.0 + (c.to_ascii_lowercase() as u32 - 'a' as u32 + 1) as f64)
    })
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
    Decimal {
        mandatory: usize,
        grouping: Vec<(usize, char)>,
        regular: Option<(usize, char)>,
        zero: u32,
    },
    Roman {
        upper: bool,
    },
    Letters {
        upper: bool,
    },
    Words {
        case: WordCase,
    },
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
                } else if i > 0 && digits_seen > 0 {
                    // A separator needs digits on both sides to group anything.
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
                    (all_same && multiples && *p > 0).then_some((*p, *c))
                }
            };
            Picture::Decimal {
                mandatory,
                grouping: positions,
                regular,
                zero,
            }
        }
    };
    Ok(IntFormat { picture: pic, ordinal })
}

pub(crate) fn format_integer(n: f64, fmt: &IntFormat) -> Result<String> {
    let neg = n < 0.0;
    let a = n.abs().floor() as u64;
    let body = match &fmt.picture {
        Picture::Letters { upper } => to_letters(a, if *upper { 'A' } else { 'a' }),
        Picture::Roman { upper } => {
            let r = to_roman(a)?;
            if *upper { r.to_uppercase() } else { r }
        }
        Picture::Words { case } => {
            let w = to_words(n.abs().floor(), fmt.ordinal);
            match case {
                WordCase::Lower => w,
                WordCase::Upper => w.to_uppercase(),
                WordCase::Title => {
                    let mut out = String::with_capacity(w.len());
                    let mut start = true;
                    for (i, c) in w.char_indices() {
                        let word_is_and = w[i..].starts_with("and ") && start;
                        if start && c.is_alphabetic() && !word_is_and {
                            out.extend(c.to_uppercase());
                        } else {
                            out.push(c);
                        }
                        start = !c.is_alphabetic();
                    }
                    out
                }
            }
        }
        Picture::Decimal {
            mandatory,
            grouping,
            regular,
            zero,
        } => {
            let mut digits: Vec<char> = a
                .to_string()
                .chars()
                .map(|c| char::from_u32(zero + c.to_digit(10).unwrap_or(0)).unwrap_or(c))
                .collect();
            if digits.len() < *mandatory {
                let pad = (*mandatory).min(MAX_PICTURE_WIDTH) - digits.len().min(*mandatory);
                let zeros = std::iter::repeat_n(char::from_u32(*zero).unwrap_or('0'), pad);
                digits = zeros.chain(digits).collect();
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
    Ok(if neg { format!("-{body}") } else { body })
}

/// Parse `s` per an integer picture; `None` when it does not match.
pub(crate) fn parse_integer(s: &str, fmt: &IntFormat) -> Option<f64> {
    Some(match &fmt.picture {
        Picture::Letters { .. } => from_letters(s)?,
        Picture::Roman { .. } => from_roman(s) as f64,
        Picture::Words { .. } => from_words(s)?,
        Picture::Decimal { zero, .. } => {
            let mut v: f64 = 0.0;
            let mut any = false;
            let t = if fmt.ordinal {
                s.trim_end_matches(|c: char| c.is_alphabetic())
            } else {
                s
            };
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
        assert_eq!(to_words(123.0, false), "one hundred and twenty-three");
        assert_eq!(to_words(21.0, true), "twenty-first");
        assert_eq!(to_words(1e12 + 1.0, false), "one trillion and one");
        assert_eq!(from_words("one hundred and twenty-three"), Some(123.0));
        assert_eq!(from_words("one thousand trillion"), Some(1e15));
    }

    #[test]
    fn decimal_grouping_and_roman() {
        let f = parse_picture("#,##0").unwrap();
        assert_eq!(format_integer(1234567.0, &f).unwrap(), "1,234,567");
        assert_eq!(to_roman(1999).unwrap(), "mcmxcix");
        assert_eq!(from_roman("MCMXCIX"), 1999);
        assert_eq!(to_letters(27, 'a'), "aa");
    }
}
