//! Quotas on what one plugin call may make the host store: log lines and
//! their bytes, table writes and their bytes. A hostile or buggy plugin
//! must not be able to fill the disk or the host's memory through its
//! imports, so every line and write is counted as it arrives, and the call
//! that goes past a quota is stopped with `Runtime.QuotaExceeded`.
//!
//! The manifest's `[quotas]` may lower the defaults; raising them past the
//! operator's ceiling (the defaults, unless the operator raised it with
//! `--plugin-quota-ceiling`) is refused when the plugin loads. The host's
//! own lines (a trap, a timeout, what was dropped) never count.

use std::fmt;

/// Per-call quotas on what a plugin makes the host store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quotas {
    /// Log lines the plugin may write per call (its `log` import).
    pub log_lines_per_call: u64,
    /// Bytes of those lines (message, field names and values) per call.
    pub log_bytes_per_call: u64,
    /// Table writes (put, update, delete) per call.
    pub table_writes_per_call: u64,
    /// Bytes of those writes (keys and values) per call.
    pub table_write_bytes_per_call: u64,
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas {
            log_lines_per_call: 1000,
            log_bytes_per_call: 1 << 20,
            table_writes_per_call: 1000,
            table_write_bytes_per_call: 16 << 20,
        }
    }
}

/// The quota names a manifest's `[quotas]` and the operator's ceiling use,
/// with their unit (sizes are given in KiB there).
pub const QUOTA_NAMES: [&str; 4] = [
    "log_lines_per_call",
    "log_kb_per_call",
    "table_writes_per_call",
    "table_write_kb_per_call",
];

/// The most any quota may be raised to, even by the operator: a value
/// past this is a mistake, not a policy.
const HARD_MAX_LINES: u64 = 1_000_000;
const HARD_MAX_KB: u64 = 4 << 20;

impl Quotas {
    /// Sets the quota `name` (one of [`QUOTA_NAMES`]) to `value` (lines,
    /// writes, or KiB for sizes).
    pub fn set(&mut self, name: &str, value: u64) -> Result<(), String> {
        let (slot, max, scale) = match name {
            "log_lines_per_call" => (&mut self.log_lines_per_call, HARD_MAX_LINES, 1),
            "log_kb_per_call" => (&mut self.log_bytes_per_call, HARD_MAX_KB, 1024),
            "table_writes_per_call" => (&mut self.table_writes_per_call, HARD_MAX_LINES, 1),
            "table_write_kb_per_call" => (&mut self.table_write_bytes_per_call, HARD_MAX_KB, 1024),
            other => {
                return Err(format!("unknown quota '{other}' (known: {})", QUOTA_NAMES.join(", ")));
            }
        };
        if !(1..=max).contains(&value) {
            return Err(format!("quota {name} must be between 1 and {max}, got {value}"));
        }
        *slot = value * scale;
        Ok(())
    }

    /// Reads `NAME=VALUE[,NAME=VALUE…]` over the defaults (the operator's
    /// `--plugin-quota-ceiling`).
    pub fn parse_list(text: &str) -> Result<Quotas, String> {
        let mut quotas = Quotas::default();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = part
                .split_once('=')
                .ok_or_else(|| format!("'{part}' is not NAME=VALUE"))?;
            let value: u64 = value
                .trim()
                .parse()
                .map_err(|_| format!("quota {}: '{}' is not a whole number", name.trim(), value.trim()))?;
            quotas.set(name.trim(), value)?;
        }
        Ok(quotas)
    }

    /// The first quota of `self` above `ceiling`, said as an error.
    pub fn check_within(&self, ceiling: &Quotas) -> Result<(), String> {
        let pairs = [
            (
                "log_lines_per_call",
                self.log_lines_per_call,
                ceiling.log_lines_per_call,
                1,
            ),
            (
                "log_kb_per_call",
                self.log_bytes_per_call,
                ceiling.log_bytes_per_call,
                1024,
            ),
            (
                "table_writes_per_call",
                self.table_writes_per_call,
                ceiling.table_writes_per_call,
                1,
            ),
            (
                "table_write_kb_per_call",
                self.table_write_bytes_per_call,
                ceiling.table_write_bytes_per_call,
                1024,
            ),
        ];
        for (name, mine, max, scale) in pairs {
            if mine > max {
                return Err(format!(
                    "quotas.{name} = {} exceeds the host's ceiling of {} (the operator can raise it with --plugin-quota-ceiling {name}=N)",
                    mine / scale,
                    max / scale
                ));
            }
        }
        Ok(())
    }
}

/// What a call has used of its quotas so far.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct QuotaUse {
    pub log_lines: u64,
    pub log_bytes: u64,
    /// Lines the call printed to stdout or stderr beyond the line quota.
    pub dropped_lines: u64,
    /// Access denials not written to the log and audit trail (past the
    /// first [`MAX_DENIAL_RECORDS`] of a call).
    pub unrecorded_denials: u64,
}

/// Access denials of one call written to the log and the audit trail; the
/// rest are counted and said once (a plugin looping on a refused call must
/// not fill the audit trail).
pub(crate) const MAX_DENIAL_RECORDS: u64 = 100;

/// The error that stops a call past a quota (carried as the trap's error
/// and turned into `Runtime.QuotaExceeded`).
#[derive(Debug)]
pub(crate) struct QuotaExceeded {
    /// The quota's manifest name.
    pub quota: &'static str,
    /// What the call tried to reach, and the quota, in the quota's unit.
    pub tried: u64,
    pub limit: u64,
    /// `log lines`, `bytes of log lines`, `table writes`, `bytes of table writes`.
    pub what: &'static str,
}

/// The ASL error name of a call stopped by a quota.
pub const QUOTA_EXCEEDED: &str = "Runtime.QuotaExceeded";

impl fmt::Display for QuotaExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "went past its quota of {} {} per call ({} reached; quotas.{}), and was stopped",
            self.limit, self.what, self.tried, self.quota
        )
    }
}

impl std::error::Error for QuotaExceeded {}

/// `tried` against `limit`: an error naming `quota` when it is past it.
fn within(quota: &'static str, what: &'static str, tried: u64, limit: u64) -> Result<(), QuotaExceeded> {
    if tried > limit {
        return Err(QuotaExceeded {
            quota,
            tried,
            limit,
            what,
        });
    }
    Ok(())
}

impl QuotaUse {
    /// Counts one plugin log line of `bytes`; an error once past a quota.
    pub(crate) fn log_line(&mut self, bytes: u64, quotas: &Quotas) -> Result<(), QuotaExceeded> {
        let lines = self.log_lines + 1;
        let total = self.log_bytes + bytes;
        within("log_lines_per_call", "log lines", lines, quotas.log_lines_per_call)?;
        within(
            "log_kb_per_call",
            "bytes of log lines",
            total,
            quotas.log_bytes_per_call,
        )?;
        self.log_lines = lines;
        self.log_bytes = total;
        Ok(())
    }
}

/// Counts one table write of `bytes` on top of `writes` and `written`
/// (the call's counters so far); an error once past a quota.
pub(crate) fn table_write(writes: u64, written: u64, bytes: u64, quotas: &Quotas) -> Result<(), QuotaExceeded> {
    within(
        "table_writes_per_call",
        "table writes",
        writes + 1,
        quotas.table_writes_per_call,
    )?;
    within(
        "table_write_kb_per_call",
        "bytes of table writes",
        written + bytes,
        quotas.table_write_bytes_per_call,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_bytes_are_counted_until_a_quota_is_reached() {
        let mut quotas = Quotas::default();
        quotas.set("log_lines_per_call", 3).unwrap();
        quotas.set("log_kb_per_call", 1).unwrap();
        let mut used = QuotaUse::default();
        used.log_line(10, &quotas).unwrap();
        used.log_line(10, &quotas).unwrap();
        let e = used.log_line(1015, &quotas).unwrap_err();
        assert_eq!((e.quota, e.tried, e.limit), ("log_kb_per_call", 1035, 1024));
        used.log_line(10, &quotas).unwrap();
        let e = used.log_line(1, &quotas).unwrap_err();
        assert_eq!((e.quota, e.tried, e.limit), ("log_lines_per_call", 4, 3));
        assert!(e.to_string().contains("quota of 3 log lines per call"), "{e}");
    }

    #[test]
    fn table_writes_count_writes_and_bytes() {
        let quotas = Quotas {
            table_writes_per_call: 2,
            table_write_bytes_per_call: 100,
            ..Quotas::default()
        };
        assert!(table_write(0, 0, 50, &quotas).is_ok());
        assert_eq!(
            table_write(1, 50, 51, &quotas).unwrap_err().quota,
            "table_write_kb_per_call"
        );
        assert_eq!(
            table_write(2, 60, 1, &quotas).unwrap_err().quota,
            "table_writes_per_call"
        );
    }

    #[test]
    fn a_ceiling_is_parsed_and_enforced() {
        let ceiling = Quotas::parse_list("log_lines_per_call=5000, table_write_kb_per_call=32768").unwrap();
        assert_eq!(ceiling.log_lines_per_call, 5000);
        assert_eq!(ceiling.table_write_bytes_per_call, 32768 << 10);
        let mut mine = Quotas::default();
        mine.set("log_lines_per_call", 4000).unwrap();
        assert!(mine.check_within(&ceiling).is_ok());
        let e = mine.check_within(&Quotas::default()).unwrap_err();
        assert!(
            e.contains("log_lines_per_call = 4000 exceeds the host's ceiling of 1000"),
            "{e}"
        );
        assert!(Quotas::parse_list("log_lines=3").unwrap_err().contains("unknown quota"));
        assert!(Quotas::parse_list("log_lines_per_call=0").is_err());
        assert!(Quotas::parse_list("log_lines_per_call").is_err());
    }
}
