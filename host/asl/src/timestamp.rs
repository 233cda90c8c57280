//! Timestamps as ASL accepts them: RFC 3339 with an uppercase `T`, seconds,
//! optional fraction and a mandatory offset (`Z` or `±hh:mm`).

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, SecondsFormat, TimeZone, Utc};

/// Parses a timestamp; `None` when it is not one AWS accepts.
pub fn parse(s: &str) -> Option<DateTime<FixedOffset>> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let year = digits(&b[0..4])? as i32;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    let hour = digits(&b[11..13])?;
    let minute = digits(&b[14..16])?;
    let second = digits(&b[17..19])?;
    let mut i = 19;
    let mut nanos: u32 = 0;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let frac = &b[start..i];
        if frac.is_empty() || frac.len() > 9 {
            return None;
        }
        nanos = digits(frac)? * 10u32.pow(9 - frac.len() as u32);
    }
    let offset_seconds = match &b[i..] {
        [b'Z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let h = digits(&[*h1, *h2])? as i32;
            let m = digits(&[*m1, *m2])? as i32;
            if h > 18 || m > 59 {
                return None;
            }
            let total = h * 3600 + m * 60;
            if *sign == b'-' { -total } else { total }
        }
        _ => return None,
    };
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?;
    if second > 59 {
        return None;
    }
    let offset = FixedOffset::east_opt(offset_seconds)?;
    offset.from_local_datetime(&NaiveDateTime::new(date, time)).single()
}

fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

/// Formats an instant the way AWS prints context-object times
/// (`2024-01-02T03:04:05.678Z`, milliseconds, UTC).
pub fn format_millis(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_zulu_offsets_and_fractions() {
        assert!(parse("2016-03-14T01:59:00Z").is_some());
        assert!(parse("2016-03-14T01:59:00.123Z").is_some());
        assert!(parse("2016-03-14T01:59:00+01:00").is_some());
        assert!(parse("2016-03-14T01:59:00.123456789-05:30").is_some());
    }

    #[test]
    fn rejects_what_aws_rejects() {
        for bad in [
            "2016-12-05 21:29:29Z",
            "2016-12-05T21:29:29",
            "2016-13-05T21:29:29Z",
            "2016-12-05T25:29:29Z",
            "05-12-2016T21:29:29Z",
            "2016-02-30T00:00:00Z",
            "2016-12-05T21:29:29.Z",
            "",
        ] {
            assert!(parse(bad).is_none(), "{bad} should be rejected");
        }
    }

    #[test]
    fn equal_instants_in_different_offsets_compare_equal() {
        assert_eq!(parse("2016-03-14T01:00:00Z"), parse("2016-03-14T02:00:00+01:00"));
    }
}
