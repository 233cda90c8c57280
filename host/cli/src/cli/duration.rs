//! Ages and sizes on the command line: `90s`, `15m`, `1h`, `15d`; `512KiB`, `1GiB`.

use std::time::Duration;

/// `N` followed by `s`, `m`, `h` or `d`.
pub(super) fn parse_age(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (n, unit) =
        number_and_unit(text).ok_or_else(|| format!("'{text}' is not an age such as 90s, 15m, 1h or 15d"))?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("'{text}' needs a unit: s, m, h or d (e.g. 1h)")),
    };
    n.checked_mul(seconds)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("'{text}' is too long"))
}

/// `N` followed by `B`, `KiB`, `MiB` or `GiB` (or KB, MB, GB, in powers of 1,000).
pub(super) fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (n, unit) = number_and_unit(text).ok_or_else(|| format!("'{text}' is not a size such as 512MiB or 1GiB"))?;
    let bytes: u64 = match unit {
        "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "KB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        _ => return Err(format!("'{text}' needs a unit: B, KiB, MiB or GiB (e.g. 1GiB)")),
    };
    n.checked_mul(bytes).ok_or_else(|| format!("'{text}' is too large"))
}

/// The leading whole number of `text` and what follows it.
fn number_and_unit(text: &str) -> Option<(u64, &str)> {
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    Some((number.parse().ok()?, unit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_with_their_units_and_nonsense_is_named() {
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("500MB"), Ok(500_000_000));
        assert_eq!(parse_size("42B"), Ok(42));
        assert!(parse_size("12").unwrap_err().contains("needs a unit"));
        assert!(parse_size("lots").unwrap_err().contains("not a size"));
        assert!(parse_size("99999999999999GiB").unwrap_err().contains("too large"));
    }

    #[test]
    fn ages_read_with_their_units_and_nonsense_is_named() {
        assert_eq!(parse_age("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_age("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_age("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_age("15d"), Ok(Duration::from_secs(15 * 86_400)));
        assert!(parse_age("15").unwrap_err().contains("needs a unit"));
        assert!(parse_age("h").unwrap_err().contains("not an age"));
        assert!(parse_age("99999999999999999999d").is_err());
    }
}
