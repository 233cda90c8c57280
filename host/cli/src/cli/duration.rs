//! Ages on the command line: `90s`, `15m`, `1h`, `15d`.

use std::time::Duration;

/// `N` followed by `s`, `m`, `h` or `d`.
pub(super) fn parse_age(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not an age such as 90s, 15m, 1h or 15d"))?;
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

#[cfg(test)]
mod tests {
    use super::*;

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
