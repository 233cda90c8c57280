//! Reports of a run: readable text, JSON, and JUnit XML for CI.

use std::path::Path;

use serde_json::{Value, json};

use crate::run::{CaseResult, SuiteResult, Verdict, shown};
use crate::snapshot::SnapshotOutcome;

/// Counts over all suites.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed an expectation.
    pub failed: usize,
    /// Cases that could not run.
    pub errors: usize,
    /// Cases skipped or filtered out.
    pub skipped: usize,
}

/// Counts the verdicts.
pub fn totals(results: &[SuiteResult]) -> Totals {
    let mut t = Totals::default();
    for c in results.iter().flat_map(|s| &s.cases) {
        match c.verdict {
            Verdict::Passed => t.passed += 1,
            Verdict::Failed(_) => t.failed += 1,
            Verdict::Error(_) => t.errors += 1,
            Verdict::Skipped => t.skipped += 1,
        }
    }
    t
}

/// The readable report: a line per case, what each failure missed (with
/// the path it took), and the totals.
pub fn text(results: &[SuiteResult], base: &Path, elapsed: std::time::Duration) -> String {
    let mut out = String::new();
    for suite in results {
        out.push_str(&format!("{}\n", shown(&suite.path, base)));
        for case in &suite.cases {
            let mark = match &case.verdict {
                Verdict::Passed => "ok  ",
                Verdict::Failed(_) => "FAIL",
                Verdict::Error(_) => "ERR ",
                Verdict::Skipped => "skip",
            };
            out.push_str(&format!("  {mark} {}", case.name));
            if !matches!(case.verdict, Verdict::Skipped) {
                out.push_str(&format!(" ({})", duration(case.elapsed)));
            }
            match &case.snapshot {
                Some(SnapshotOutcome::Written(f)) => out.push_str(&format!(" [snapshot written: {}]", shown(f, base))),
                Some(SnapshotOutcome::Updated(f)) => out.push_str(&format!(" [snapshot updated: {}]", shown(f, base))),
                Some(SnapshotOutcome::Unusable(why)) => out.push_str(&format!(" [snapshot not checked: {why}]")),
                _ => {}
            }
            out.push('\n');
            match &case.verdict {
                Verdict::Failed(unmet) => {
                    for u in unmet {
                        out.push_str(&format!("       {}: {}\n", u.expectation, u.message));
                        for d in &u.differences {
                            out.push_str(&format!("         {d}\n"));
                        }
                    }
                    if !unmet.iter().any(|u| u.expectation == "path") {
                        let path: Vec<&str> = case.steps.iter().map(|s| s.path_name.as_str()).collect();
                        out.push_str(&format!("       path taken: {}\n", path.join(" → ")));
                    }
                }
                Verdict::Error(e) => out.push_str(&format!("       {} could not run: {e}\n", case.at)),
                _ => {}
            }
        }
    }
    let t = totals(results);
    out.push_str(&format!(
        "{} passed, {} failed, {} errors, {} skipped in {}\n",
        t.passed,
        t.failed,
        t.errors,
        t.skipped,
        duration(elapsed)
    ));
    out
}

fn duration(d: std::time::Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 1.0 {
        format!("{:.0} µs", ms * 1000.0)
    } else if ms < 1000.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

/// The results as one JSON document.
pub fn json(results: &[SuiteResult], base: &Path) -> Value {
    let t = totals(results);
    json!({
        "suites": results.iter().map(|s| json!({
            "file": shown(&s.path, base),
            "cases": s.cases.iter().map(case_json).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "passed": t.passed,
        "failed": t.failed,
        "errors": t.errors,
        "skipped": t.skipped,
    })
}

fn case_json(c: &CaseResult) -> Value {
    let (verdict, unmet, error) = match &c.verdict {
        Verdict::Passed => ("passed", Value::Null, Value::Null),
        Verdict::Failed(u) => ("failed", json!(u), Value::Null),
        Verdict::Error(e) => ("error", Value::Null, json!(e)),
        Verdict::Skipped => ("skipped", Value::Null, Value::Null),
    };
    let mut out = json!({
        "name": c.name,
        "verdict": verdict,
        "milliseconds": c.elapsed.as_secs_f64() * 1000.0,
    });
    if let Some(r) = &c.result {
        out["status"] = json!(r.status.as_str());
        out["output"] = json!(r.output);
        out["error"] = json!(r.error);
        out["cause"] = json!(r.cause);
        out["path"] = json!(c.steps.iter().map(|s| &s.path_name).collect::<Vec<_>>());
    }
    if !unmet.is_null() {
        out["unmet"] = unmet;
    }
    if !error.is_null() {
        out["problem"] = error;
    }
    out
}

/// JUnit XML: a `<testsuite>` per suite file, a `<testcase>` per case.
pub fn junit(results: &[SuiteResult], base: &Path) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let t = totals(results);
    out.push_str(&format!(
        "<testsuites name=\"stepyard test\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">\n",
        t.passed + t.failed + t.errors + t.skipped,
        t.failed,
        t.errors,
        t.skipped
    ));
    for suite in results {
        let s = totals(std::slice::from_ref(suite));
        let name = xml(&shown(&suite.path, base));
        let time: f64 = suite.cases.iter().map(|c| c.elapsed.as_secs_f64()).sum();
        out.push_str(&format!(
            "  <testsuite name=\"{name}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{time:.3}\">\n",
            suite.cases.len(),
            s.failed,
            s.errors,
            s.skipped
        ));
        for c in &suite.cases {
            out.push_str(&format!(
                "    <testcase classname=\"{name}\" name=\"{}\" time=\"{:.3}\"",
                xml(&c.name),
                c.elapsed.as_secs_f64()
            ));
            match &c.verdict {
                Verdict::Passed => out.push_str("/>\n"),
                Verdict::Skipped => out.push_str("><skipped/></testcase>\n"),
                Verdict::Error(e) => out.push_str(&format!("><error message=\"{}\"/></testcase>\n", xml(e))),
                Verdict::Failed(unmet) => {
                    let first = unmet
                        .first()
                        .map(|u| format!("{}: {}", u.expectation, u.message))
                        .unwrap_or_default();
                    let body: Vec<String> = unmet
                        .iter()
                        .flat_map(|u| {
                            std::iter::once(format!("{}: {}", u.expectation, u.message))
                                .chain(u.differences.iter().map(|d| format!("  {d}")))
                        })
                        .collect();
                    out.push_str(&format!(
                        "><failure message=\"{}\">{}</failure></testcase>\n",
                        xml(&first),
                        xml(&body.join("\n"))
                    ));
                }
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// Text escaped for XML attributes and content.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 has no place for other control characters.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_markup_and_control_characters() {
        assert_eq!(xml("a<b>&\"'\u{1}"), "a&lt;b&gt;&amp;&quot;&apos;?");
    }
}
