//! The rules file (`serve --alerts FILE`): event rules and metric alarms,
//! each with its targets. Every mistake is reported with the file and the
//! JSON path of the part at fault (`alerts.json: alarms[1].metric: …`).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Map, Value};

use crate::alarm::{Comparison, Statistic, TreatMissing};
use crate::pattern::Pattern;

/// A rules file that cannot be used: where, and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}: {}{message}", if path.is_empty() { String::new() } else { format!("{path}: ") })]
pub struct RulesError {
    /// The file, as it was named.
    pub file: String,
    /// The JSON path of the part at fault (`alarms[1].metric`); empty for
    /// the file as a whole.
    pub path: String,
    /// What is wrong with it.
    pub message: String,
}

/// Where a matched event goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// HTTP POST of the event to `http://host:port/path`.
    Webhook {
        /// The URL as written.
        url: String,
        /// `host:port` to connect to.
        authority: String,
        /// The request path (with its query).
        path: String,
    },
    /// A program run with the event on its standard input.
    Command(Vec<String>),
    /// A file the event is appended to, as one JSON line.
    File(PathBuf),
    /// An execution of this state machine, started with the event as input.
    StartExecution(String),
}

impl Target {
    /// `webhook`, `command`, `file` or `startExecution`.
    pub fn kind(&self) -> &'static str {
        match self {
            Target::Webhook { .. } => "webhook",
            Target::Command(_) => "command",
            Target::File(_) => "file",
            Target::StartExecution(_) => "startExecution",
        }
    }

    /// A one-line description (`webhook http://…`).
    pub fn describe(&self) -> String {
        match self {
            Target::Webhook { url, .. } => format!("webhook {url}"),
            Target::Command(argv) => format!("command {}", argv.join(" ")),
            Target::File(path) => format!("file {}", path.display()),
            Target::StartExecution(arn) => format!("startExecution {arn}"),
        }
    }
}

/// An event rule: the events its pattern matches go to its targets.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Its name (unique in the file).
    pub name: String,
    /// The pattern as written.
    pub pattern_json: Value,
    /// The pattern, compiled.
    pub pattern: Pattern,
    /// Where matched events go.
    pub targets: Vec<Target>,
}

/// A metric alarm, as CloudWatch's PutMetricAlarm describes one.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmSpec {
    /// Its name (unique in the file).
    pub name: String,
    /// What it is for, if said.
    pub description: Option<String>,
    /// One of `stepyard_metrics::MINUTE_METRICS`.
    pub metric: String,
    /// Only the series with these dimensions (`stateMachine`, `state`,
    /// `plugin`); the figures of every matching series are added up.
    pub dimensions: Vec<(String, String)>,
    /// The figure compared with the threshold.
    pub statistic: Statistic,
    /// Minutes per period.
    pub period_minutes: u64,
    /// How many of the last periods are evaluated.
    pub evaluation_periods: u32,
    /// How many of them must breach for ALARM (all by default).
    pub datapoints_to_alarm: u32,
    /// The threshold.
    pub threshold: f64,
    /// How the figure is compared with it.
    pub comparison: Comparison,
    /// What a period without figures counts as.
    pub treat_missing: TreatMissing,
    /// Where its state changes go.
    pub targets: Vec<Target>,
}

/// How deliveries are retried.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// The wait after the first failure; it doubles after each.
    pub first_interval: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 10,
            first_interval: Duration::from_secs(1),
        }
    }
}

/// A whole rules file.
#[derive(Debug, Clone, Default)]
pub struct RulesFile {
    /// The event rules.
    pub rules: Vec<Rule>,
    /// The metric alarms.
    pub alarms: Vec<AlarmSpec>,
    /// How failed deliveries are retried.
    pub retry: RetryPolicy,
}

/// The dimensions an alarm may name, as the per-minute series have them.
pub const DIMENSIONS: &[&str] = &["stateMachine", "state", "plugin"];

impl RulesFile {
    /// Reads and checks the file at `path`.
    pub fn load(path: &Path) -> Result<RulesFile, RulesError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| RulesError {
            file: file.clone(),
            path: String::new(),
            message: format!("cannot read it: {e}"),
        })?;
        RulesFile::parse(&text, &file)
    }

    /// Reads and checks the text of a rules file called `file`.
    pub fn parse(text: &str, file: &str) -> Result<RulesFile, RulesError> {
        let value: Value = serde_json::from_str(text).map_err(|e| RulesError {
            file: file.to_owned(),
            path: String::new(),
            message: format!("not valid JSON: {e}"),
        })?;
        from_value(&value).map_err(|(path, message)| RulesError {
            file: file.to_owned(),
            path,
            message,
        })
    }
}

type Found<T> = Result<T, (String, String)>;

fn fail<T>(at: &str, message: impl Into<String>) -> Found<T> {
    Err((at.to_owned(), message.into()))
}

fn object<'a>(value: &'a Value, at: &str, known: &[&str]) -> Found<&'a Map<String, Value>> {
    let Value::Object(map) = value else {
        return fail(at, "must be an object");
    };
    for key in map.keys() {
        if !known.contains(&key.as_str()) {
            let at = if at.is_empty() {
                key.clone()
            } else {
                format!("{at}.{key}")
            };
            return fail(&at, format!("unknown field (known: {})", known.join(", ")));
        }
    }
    Ok(map)
}

fn field_at(at: &str, name: &str) -> String {
    if at.is_empty() {
        name.to_owned()
    } else {
        format!("{at}.{name}")
    }
}

fn required<'a>(map: &'a Map<String, Value>, at: &str, name: &str) -> Found<&'a Value> {
    map.get(name)
        .ok_or_else(|| (field_at(at, name), "is required".to_owned()))
}

fn string(map: &Map<String, Value>, at: &str, name: &str) -> Found<String> {
    match required(map, at, name)?.as_str() {
        Some(s) if !s.is_empty() => Ok(s.to_owned()),
        _ => fail(&field_at(at, name), "must be a non-empty string"),
    }
}

fn number(map: &Map<String, Value>, at: &str, name: &str) -> Found<Option<f64>> {
    match map.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_f64()
            .filter(|n| n.is_finite())
            .map(Some)
            .ok_or_else(|| (field_at(at, name), "must be a number".to_owned())),
    }
}

fn whole(map: &Map<String, Value>, at: &str, name: &str, least: u64) -> Found<Option<u64>> {
    match map.get(name) {
        None => Ok(None),
        Some(v) => match v.as_u64() {
            Some(n) if n >= least => Ok(Some(n)),
            _ => fail(
                &field_at(at, name),
                format!("must be a whole number of at least {least}"),
            ),
        },
    }
}

fn list<'a>(map: &'a Map<String, Value>, at: &str, name: &str) -> Found<Vec<(String, &'a Value)>> {
    match map.get(name) {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => Ok(items
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("{}[{i}]", field_at(at, name)), v))
            .collect()),
        Some(_) => fail(&field_at(at, name), "must be an array"),
    }
}

fn from_value(value: &Value) -> Found<RulesFile> {
    let top = object(value, "", &["rules", "alarms", "retry"])?;
    let mut out = RulesFile::default();
    let mut names = HashSet::new();
    for (at, rule) in list(top, "", "rules")? {
        let rule = rule_at(rule, &at)?;
        if !names.insert(rule.name.clone()) {
            return fail(&field_at(&at, "name"), format!("'{}' is used twice", rule.name));
        }
        out.rules.push(rule);
    }
    for (at, alarm) in list(top, "", "alarms")? {
        let spec = alarm_spec(alarm, &at)?;
        if !names.insert(spec.name.clone()) {
            return fail(&field_at(&at, "name"), format!("'{}' is used twice", spec.name));
        }
        out.alarms.push(spec);
    }
    if let Some(retry) = top.get("retry") {
        let map = object(retry, "retry", &["maxAttempts", "intervalSeconds"])?;
        if let Some(n) = whole(map, "retry", "maxAttempts", 1)? {
            out.retry.max_attempts = n.min(100) as u32;
        }
        if let Some(s) = number(map, "retry", "intervalSeconds")? {
            if !(0.0..=3600.0).contains(&s) {
                return fail("retry.intervalSeconds", "must be between 0 and 3600");
            }
            out.retry.first_interval = Duration::from_secs_f64(s);
        }
    }
    Ok(out)
}

fn rule_at(value: &Value, at: &str) -> Found<Rule> {
    let map = object(value, at, &["name", "description", "pattern", "targets"])?;
    let name = string(map, at, "name")?;
    let pattern_json = required(map, at, "pattern")?.clone();
    let pattern = Pattern::parse(&pattern_json, &field_at(at, "pattern"))?;
    Ok(Rule {
        name,
        pattern_json,
        pattern,
        targets: targets(map, at)?,
    })
}

impl Rule {
    /// A rule added through the API (`Stepyard.PutAlertRule`), in the
    /// rules file's shape. Only webhook and startExecution targets: a
    /// command or a file named by a caller would let anyone allowed to add
    /// a rule run programs or write files on the server.
    pub fn from_request(value: &Value) -> Result<Rule, RulesError> {
        let as_error = |(path, message): (String, String)| RulesError {
            file: "the request".to_owned(),
            path,
            message,
        };
        let rule = rule_at(value, "rule").map_err(as_error)?;
        for (i, target) in rule.targets.iter().enumerate() {
            if matches!(target, Target::Command(_) | Target::File(_)) {
                return Err(as_error((
                    format!("rule.targets[{i}]"),
                    "only webhook and startExecution targets can be added through the API; \
                     commands and files belong in the --alerts file"
                        .to_owned(),
                )));
            }
        }
        Ok(rule)
    }
}

fn targets(map: &Map<String, Value>, at: &str) -> Found<Vec<Target>> {
    let items = list(map, at, "targets")?;
    if items.is_empty() {
        return fail(&field_at(at, "targets"), "must list at least one target");
    }
    items.into_iter().map(|(at, t)| target(t, &at)).collect()
}

fn target(value: &Value, at: &str) -> Found<Target> {
    let map = object(value, at, &["webhook", "command", "file", "startExecution"])?;
    if map.len() != 1 {
        return fail(at, "must have exactly one of webhook, command, file, startExecution");
    }
    if let Some(url) = map.get("webhook") {
        let path = field_at(at, "webhook");
        let url = url
            .as_str()
            .ok_or_else(|| (path.clone(), "must be a string".to_owned()))?;
        let Some(rest) = url.strip_prefix("http://") else {
            return fail(&path, format!("'{url}' is not an http:// URL (https is not supported)"));
        };
        let (authority, tail) = rest.find('/').map_or((rest, "/"), |i| (&rest[..i], &rest[i..]));
        if authority.is_empty() || authority.contains(['@', ' ']) {
            return fail(&path, format!("'{url}' has no host"));
        }
        let authority = if authority
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        {
            authority.to_owned()
        } else {
            format!("{authority}:80")
        };
        return Ok(Target::Webhook {
            url: url.to_owned(),
            authority,
            path: tail.to_owned(),
        });
    }
    if let Some(argv) = map.get("command") {
        let path = field_at(at, "command");
        let argv: Option<Vec<String>> = argv
            .as_array()
            .and_then(|a| a.iter().map(|s| s.as_str().map(str::to_owned)).collect());
        return match argv {
            Some(argv) if !argv.is_empty() && !argv[0].is_empty() => Ok(Target::Command(argv)),
            _ => fail(&path, "must be an array of strings: the program, then its arguments"),
        };
    }
    if let Some(file) = map.get("file") {
        return match file.as_str() {
            Some(f) if !f.is_empty() => Ok(Target::File(PathBuf::from(f))),
            _ => fail(&field_at(at, "file"), "must be a file path"),
        };
    }
    let start = field_at(at, "startExecution");
    let map = object(&map["startExecution"], &start, &["stateMachineArn"])?;
    let arn = string(map, &start, "stateMachineArn")?;
    if !arn.starts_with("arn:") || !arn.contains(":stateMachine:") {
        return fail(
            &field_at(&start, "stateMachineArn"),
            format!("'{arn}' is not a state machine ARN"),
        );
    }
    Ok(Target::StartExecution(arn))
}

fn alarm_spec(value: &Value, at: &str) -> Found<AlarmSpec> {
    let map = object(
        value,
        at,
        &[
            "name",
            "description",
            "metric",
            "dimensions",
            "statistic",
            "period",
            "evaluationPeriods",
            "datapointsToAlarm",
            "threshold",
            "comparison",
            "treatMissingData",
            "targets",
        ],
    )?;
    let name = string(map, at, "name")?;
    let metric = string(map, at, "metric")?;
    if !stepyard_metrics::MINUTE_METRICS.contains(&metric.as_str()) {
        return fail(
            &field_at(at, "metric"),
            format!(
                "unknown metric '{metric}' (known: {})",
                stepyard_metrics::MINUTE_METRICS.join(", ")
            ),
        );
    }
    let mut dimensions = Vec::new();
    if let Some(dims) = map.get("dimensions") {
        let dims_at = field_at(at, "dimensions");
        for (key, v) in object(dims, &dims_at, DIMENSIONS)? {
            match v.as_str() {
                Some(s) if !s.is_empty() => dimensions.push((key.clone(), s.to_owned())),
                _ => return fail(&field_at(&dims_at, key), "must be a non-empty string"),
            }
        }
    }
    let statistic_text = string(map, at, "statistic")?;
    let statistic = Statistic::parse(&statistic_text).ok_or_else(|| {
        (
            field_at(at, "statistic"),
            format!("unknown statistic '{statistic_text}' (known: Sum, SampleCount, Average, Minimum, Maximum, pNN such as p99)"),
        )
    })?;
    let period = whole(map, at, "period", 60)?.unwrap_or(60);
    if !period.is_multiple_of(60) || period > 86_400 {
        return fail(
            &field_at(at, "period"),
            format!("must be a multiple of 60 seconds up to a day, got {period}"),
        );
    }
    let evaluation_periods = whole(map, at, "evaluationPeriods", 1)?.unwrap_or(1);
    if evaluation_periods > 1440 {
        return fail(&field_at(at, "evaluationPeriods"), "must be at most 1440");
    }
    let datapoints = whole(map, at, "datapointsToAlarm", 1)?.unwrap_or(evaluation_periods);
    if datapoints > evaluation_periods {
        return fail(&field_at(at, "datapointsToAlarm"), "must not exceed evaluationPeriods");
    }
    let threshold =
        number(map, at, "threshold")?.ok_or_else(|| (field_at(at, "threshold"), "is required".to_owned()))?;
    let comparison_text = string(map, at, "comparison")?;
    let comparison = Comparison::parse(&comparison_text).ok_or_else(|| {
        (
            field_at(at, "comparison"),
            format!(
                "unknown comparison '{comparison_text}' (known: GreaterThanThreshold, GreaterThanOrEqualToThreshold, \
                 LessThanThreshold, LessThanOrEqualToThreshold)"
            ),
        )
    })?;
    let treat_missing = match map.get("treatMissingData") {
        None => TreatMissing::Missing,
        Some(v) => v.as_str().and_then(TreatMissing::parse).ok_or_else(|| {
            (
                field_at(at, "treatMissingData"),
                "must be one of missing, notBreaching, breaching, ignore".to_owned(),
            )
        })?,
    };
    let description = match map.get("description") {
        None => None,
        Some(v) => Some(
            v.as_str()
                .map(str::to_owned)
                .ok_or_else(|| (field_at(at, "description"), "must be a string".to_owned()))?,
        ),
    };
    Ok(AlarmSpec {
        name,
        description,
        metric,
        dimensions,
        statistic,
        period_minutes: period / 60,
        evaluation_periods: evaluation_periods as u32,
        datapoints_to_alarm: datapoints as u32,
        threshold,
        comparison,
        treat_missing,
        targets: targets(map, at)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> String {
        RulesFile::parse(text, "alerts.json").unwrap_err().to_string()
    }

    const GOOD: &str = r#"{
        "rules": [{"name": "failures", "pattern": {"source": ["aws.states"], "detail": {"status": ["FAILED"]}},
                   "targets": [{"webhook": "http://127.0.0.1:9000/hook"}, {"file": "events.jsonl"},
                               {"command": ["logger", "-t", "stepyard"]},
                               {"startExecution": {"stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:cleanup"}}]}],
        "alarms": [{"name": "slow", "metric": "ExecutionTime", "dimensions": {"stateMachine": "orders"},
                    "statistic": "p99", "period": 300, "evaluationPeriods": 3, "threshold": 5000,
                    "comparison": "GreaterThanThreshold", "treatMissingData": "notBreaching",
                    "targets": [{"webhook": "http://localhost/alarm"}]}],
        "retry": {"maxAttempts": 3, "intervalSeconds": 0.5}
    }"#;

    #[test]
    fn a_good_file_is_read_whole() {
        let file = RulesFile::parse(GOOD, "alerts.json").unwrap();
        assert_eq!(file.rules.len(), 1);
        assert_eq!(file.rules[0].targets.len(), 4);
        assert_eq!(
            file.rules[0].targets[0],
            Target::Webhook {
                url: "http://127.0.0.1:9000/hook".into(),
                authority: "127.0.0.1:9000".into(),
                path: "/hook".into()
            }
        );
        let alarm = &file.alarms[0];
        assert_eq!(
            (
                alarm.period_minutes,
                alarm.evaluation_periods,
                alarm.datapoints_to_alarm
            ),
            (5, 3, 3)
        );
        assert_eq!(alarm.statistic, Statistic::Percentile(0.99));
        assert_eq!(alarm.dimensions, [("stateMachine".to_owned(), "orders".to_owned())]);
        assert!(matches!(&alarm.targets[0], Target::Webhook { authority, .. } if authority == "localhost:80"));
        assert_eq!(file.retry.max_attempts, 3);
    }

    #[test]
    fn every_mistake_names_the_file_and_its_place() {
        let misspelt = GOOD.replace("\"ExecutionTime\"", "\"ExecutionsFailedCount\"");
        let message = error(&misspelt);
        assert!(
            message.starts_with(
                "alerts.json: alarms[0].metric: unknown metric 'ExecutionsFailedCount' (known: ExecutionsStarted"
            ),
            "{message}"
        );
        assert_eq!(
            error(&GOOD.replace("\"period\": 300", "\"period\": 90")),
            "alerts.json: alarms[0].period: must be a multiple of 60 seconds up to a day, got 90"
        );
        assert!(
            error(&GOOD.replace("GreaterThanThreshold", "Above"))
                .starts_with("alerts.json: alarms[0].comparison: unknown comparison 'Above'")
        );
        assert!(error(&GOOD.replace("notBreaching", "nope")).starts_with("alerts.json: alarms[0].treatMissingData:"));
        assert!(error(&GOOD.replace("\"p99\"", "\"Median\"")).starts_with("alerts.json: alarms[0].statistic:"));
        assert!(
            error(&GOOD.replace("\"status\": [\"FAILED\"]", "\"status\": \"FAILED\""))
                .starts_with("alerts.json: rules[0].pattern.detail.status:")
        );
        assert!(
            error(&GOOD.replace("http://127.0.0.1:9000/hook", "https://x"))
                .starts_with("alerts.json: rules[0].targets[0].webhook:")
        );
        assert!(
            error(&GOOD.replace("\"file\": \"events.jsonl\"", "\"fil\": \"x\""))
                .starts_with("alerts.json: rules[0].targets[1].fil: unknown field")
        );
        assert!(
            error(&GOOD.replace("\"command\": [\"logger\", \"-t\", \"stepyard\"]", "\"command\": []"))
                .starts_with("alerts.json: rules[0].targets[2].command:")
        );
        assert!(
            error(&GOOD.replace("stateMachine\": \"orders", "machine\": \"orders"))
                .starts_with("alerts.json: alarms[0].dimensions.machine: unknown field")
        );
        assert!(
            error(&GOOD.replace("\"slow\"", "\"failures\""))
                .starts_with("alerts.json: alarms[0].name: 'failures' is used twice")
        );
        assert!(
            error(&GOOD.replace("\"threshold\": 5000,", ""))
                .starts_with("alerts.json: alarms[0].threshold: is required")
        );
        assert!(error("{\"rules\": [").starts_with("alerts.json: not valid JSON"));
        assert!(error("[]").starts_with("alerts.json: must be an object"));
        assert!(
            error(r#"{"rules": [{"name": "x", "pattern": {"source": ["a"]}, "targets": []}]}"#)
                .starts_with("alerts.json: rules[0].targets: must list at least one target")
        );
    }
}
