//! JavaScript number-to-text conversions (`Number.prototype.toString`, `toPrecision`), which
//! JSONata's string conversions inherit.

/// Shortest round-trip digits and decimal exponent: value = 0.DIGITS × 10^n.
fn shortest_digits(x: f64) -> (String, i32) {
    let s = format!("{:e}", x.abs());
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    let e: i32 = exp.parse().unwrap_or(0);
    (digits, e + 1)
}

fn layout(neg: bool, digits: &str, n: i32) -> String {
    let k = digits.len() as i32;
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if k <= n && n <= 21 {
        out.push_str(digits);
        out.extend(std::iter::repeat_n('0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        out.push_str(&digits[..n as usize]);
        out.push('.');
        out.push_str(&digits[n as usize..]);
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-n) as usize));
        out.push_str(digits);
    } else {
        out.push_str(&digits[..1]);
        if k > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        let e = n - 1;
        out.push(if e >= 0 { '+' } else { '-' });
        out.push_str(&e.abs().to_string());
    }
    out
}

/// `String(x)` in JavaScript.
pub(crate) fn js_number_to_string(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity".into() } else { "-Infinity".into() };
    }
    if x == 0.0 {
        return "0".into();
    }
    let (digits, n) = shortest_digits(x);
    layout(x < 0.0, &digits, n)
}

/// `Number(x.toPrecision(15))`: round to 15 significant digits.
pub(crate) fn to_precision_15(x: f64) -> f64 {
    if !x.is_finite() || x == 0.0 {
        return x;
    }
    format!("{:.14e}", x).parse().unwrap_or(x)
}

/// `x.toPrecision(p)` text in JavaScript (used by `$formatNumber`-adjacent code paths).
pub(crate) fn to_precision(x: f64, p: usize) -> String {
    if x == 0.0 {
        let mut s = String::from("0");
        if p > 1 {
            s.push('.');
            s.extend(std::iter::repeat_n('0', p - 1));
        }
        return s;
    }
    let s = format!("{:.*e}", p.saturating_sub(1), x.abs());
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    let e: i32 = exp.parse().unwrap_or(0);
    let neg = if x < 0.0 { "-" } else { "" };
    if e < -6 || e >= p as i32 {
        let m = if digits.len() > 1 { format!("{}.{}", &digits[..1], &digits[1..]) } else { digits };
        return format!("{neg}{m}e{}{}", if e >= 0 { "+" } else { "-" }, e.abs());
    }
    if e >= 0 {
        let int_len = (e + 1) as usize;
        if digits.len() > int_len {
            format!("{neg}{}.{}", &digits[..int_len], &digits[int_len..])
        } else {
            format!("{neg}{digits}")
        }
    } else {
        format!("{neg}0.{}{}", "0".repeat((-e - 1) as usize), digits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_javascript() {
        assert_eq!(js_number_to_string(1.0), "1");
        assert_eq!(js_number_to_string(-0.5), "-0.5");
        assert_eq!(js_number_to_string(1e21), "1e+21");
        assert_eq!(js_number_to_string(1e20), "100000000000000000000");
        assert_eq!(js_number_to_string(1.5e-7), "1.5e-7");
        assert_eq!(js_number_to_string(0.000001), "0.000001");
        assert_eq!(js_number_to_string(123.456), "123.456");
    }

    #[test]
    fn precision_15_drops_float_noise() {
        assert_eq!(js_number_to_string(to_precision_15(0.1 + 0.2)), "0.3");
        assert_eq!(to_precision(123.456, 2), "1.2e+2");
        assert_eq!(to_precision(0.000123, 2), "0.00012");
    }
}
