//! Metric alarms, evaluated as CloudWatch evaluates them: the statistic of
//! each of the last `evaluationPeriods` periods compared with the
//! threshold; ALARM when `datapointsToAlarm` of them breach, OK when fewer
//! do, and periods without figures treated as `treatMissingData` says.

use std::collections::BTreeMap;

use stepyard_metrics::{Aggregate, SeriesKey};

use crate::rules::AlarmSpec;

/// The figure of a period an alarm compares.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Statistic {
    /// The sum of the values (the count, for counted events).
    Sum,
    /// How many values.
    SampleCount,
    /// Sum / SampleCount.
    Average,
    /// The smallest value.
    Minimum,
    /// The largest value.
    Maximum,
    /// A percentile (0–1) of a duration metric.
    Percentile(f64),
}

impl Statistic {
    /// `Sum`, `SampleCount`, `Average`, `Minimum`, `Maximum` or `pNN`.
    pub fn parse(text: &str) -> Option<Statistic> {
        Some(match text {
            "Sum" => Statistic::Sum,
            "SampleCount" => Statistic::SampleCount,
            "Average" => Statistic::Average,
            "Minimum" => Statistic::Minimum,
            "Maximum" => Statistic::Maximum,
            _ => {
                let n: f64 = text.strip_prefix('p')?.parse().ok()?;
                if !(0.0..=100.0).contains(&n) {
                    return None;
                }
                Statistic::Percentile(n / 100.0)
            }
        })
    }

    /// The name CloudWatch gives it.
    pub fn name(&self) -> String {
        match self {
            Statistic::Sum => "Sum".into(),
            Statistic::SampleCount => "SampleCount".into(),
            Statistic::Average => "Average".into(),
            Statistic::Minimum => "Minimum".into(),
            Statistic::Maximum => "Maximum".into(),
            Statistic::Percentile(q) => format!("p{}", q * 100.0),
        }
    }

    /// The figure of `a`; `None` when it has no values (missing data).
    pub fn of(&self, a: &Aggregate) -> Option<f64> {
        if a.count == 0 {
            return None;
        }
        match self {
            Statistic::Sum => Some(a.sum),
            Statistic::SampleCount => Some(a.count as f64),
            Statistic::Average => Some(a.sum / a.count as f64),
            Statistic::Minimum => Some(a.min),
            Statistic::Maximum => Some(a.max),
            Statistic::Percentile(q) => a.quantile(*q),
        }
    }
}

/// How a figure is compared with the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// value > threshold
    GreaterThan,
    /// value >= threshold
    GreaterThanOrEqual,
    /// value < threshold
    LessThan,
    /// value <= threshold
    LessThanOrEqual,
}

impl Comparison {
    /// CloudWatch's names (`GreaterThanThreshold`…).
    pub fn parse(text: &str) -> Option<Comparison> {
        Some(match text {
            "GreaterThanThreshold" => Comparison::GreaterThan,
            "GreaterThanOrEqualToThreshold" => Comparison::GreaterThanOrEqual,
            "LessThanThreshold" => Comparison::LessThan,
            "LessThanOrEqualToThreshold" => Comparison::LessThanOrEqual,
            _ => return None,
        })
    }

    /// CloudWatch's name.
    pub fn name(self) -> &'static str {
        match self {
            Comparison::GreaterThan => "GreaterThanThreshold",
            Comparison::GreaterThanOrEqual => "GreaterThanOrEqualToThreshold",
            Comparison::LessThan => "LessThanThreshold",
            Comparison::LessThanOrEqual => "LessThanOrEqualToThreshold",
        }
    }

    fn words(self) -> &'static str {
        match self {
            Comparison::GreaterThan => "greater than",
            Comparison::GreaterThanOrEqual => "greater than or equal to",
            Comparison::LessThan => "less than",
            Comparison::LessThanOrEqual => "less than or equal to",
        }
    }

    fn breaches(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::GreaterThan => value > threshold,
            Comparison::GreaterThanOrEqual => value >= threshold,
            Comparison::LessThan => value < threshold,
            Comparison::LessThanOrEqual => value <= threshold,
        }
    }
}

/// What a period without figures counts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreatMissing {
    /// Not evaluated; when every period is missing, INSUFFICIENT_DATA.
    Missing,
    /// Not breaching the threshold.
    NotBreaching,
    /// Breaching the threshold.
    Breaching,
    /// Not evaluated; when every period is missing, the state stays.
    Ignore,
}

impl TreatMissing {
    /// `missing`, `notBreaching`, `breaching` or `ignore`.
    pub fn parse(text: &str) -> Option<TreatMissing> {
        Some(match text {
            "missing" => TreatMissing::Missing,
            "notBreaching" => TreatMissing::NotBreaching,
            "breaching" => TreatMissing::Breaching,
            "ignore" => TreatMissing::Ignore,
            _ => return None,
        })
    }

    /// The name in the rules file.
    pub fn name(self) -> &'static str {
        match self {
            TreatMissing::Missing => "missing",
            TreatMissing::NotBreaching => "notBreaching",
            TreatMissing::Breaching => "breaching",
            TreatMissing::Ignore => "ignore",
        }
    }
}

/// An alarm's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlarmState {
    /// The threshold is not breached.
    Ok,
    /// The threshold is breached.
    Alarm,
    /// Not enough data to tell (every alarm starts here).
    InsufficientData,
}

impl AlarmState {
    /// `OK`, `ALARM` or `INSUFFICIENT_DATA`.
    pub fn as_str(self) -> &'static str {
        match self {
            AlarmState::Ok => "OK",
            AlarmState::Alarm => "ALARM",
            AlarmState::InsufficientData => "INSUFFICIENT_DATA",
        }
    }

    /// The state named by [`AlarmState::as_str`].
    pub fn parse(text: &str) -> Option<AlarmState> {
        [AlarmState::Ok, AlarmState::Alarm, AlarmState::InsufficientData]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// One evaluation's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// The state it leads to.
    pub state: AlarmState,
    /// Why, in CloudWatch's words.
    pub reason: String,
}

/// The statistic of each of the alarm's last periods before `now_minute`
/// (oldest first), from per-minute figures: `None` for a period without.
pub fn period_values(spec: &AlarmSpec, minutes: &[(u64, SeriesKey, Aggregate)], now_minute: u64) -> Vec<Option<f64>> {
    let n = u64::from(spec.evaluation_periods);
    let span = spec.period_minutes * n;
    let from = now_minute.saturating_sub(span);
    let mut periods: BTreeMap<u64, Aggregate> = BTreeMap::new();
    for (minute, key, aggregate) in minutes {
        if *minute < from || *minute >= now_minute || key.metric != spec.metric {
            continue;
        }
        let matches = spec.dimensions.iter().all(|(dim, value)| {
            let have = match dim.as_str() {
                "stateMachine" => &key.state_machine,
                "state" => &key.state,
                _ => &key.plugin,
            };
            have == value
        });
        if matches {
            periods
                .entry((minute - from) / spec.period_minutes)
                .or_default()
                .merge(aggregate);
        }
    }
    (0..n)
        .map(|i| periods.get(&i).and_then(|a| spec.statistic.of(a)))
        .collect()
}

/// The state `values` (oldest first) lead to from `current`.
pub fn evaluate(spec: &AlarmSpec, values: &[Option<f64>], current: AlarmState) -> Evaluation {
    let mut evaluated = Vec::new();
    let mut breaching = 0;
    for value in values {
        let breach = match (value, spec.treat_missing) {
            (Some(v), _) => spec.comparison.breaches(*v, spec.threshold),
            (None, TreatMissing::Breaching) => true,
            (None, TreatMissing::NotBreaching) => false,
            (None, TreatMissing::Missing | TreatMissing::Ignore) => continue,
        };
        evaluated.push(*value);
        breaching += usize::from(breach);
    }
    if evaluated.is_empty() {
        return match spec.treat_missing {
            TreatMissing::Ignore => Evaluation {
                state: current,
                reason: "No datapoints were received; the state is kept (treatMissingData: ignore)".into(),
            },
            _ => Evaluation {
                state: AlarmState::InsufficientData,
                reason: format!(
                    "Insufficient Data: {} datapoint{} missing",
                    values.len(),
                    if values.len() == 1 { " was" } else { "s were" }
                ),
            },
        };
    }
    let needed = (spec.datapoints_to_alarm as usize).min(evaluated.len()).max(1);
    let state = if breaching >= needed {
        AlarmState::Alarm
    } else {
        AlarmState::Ok
    };
    let shown: Vec<String> = evaluated
        .iter()
        .map(|v| v.map_or_else(|| "missing".to_owned(), |v| format!("{v}")))
        .collect();
    let reason = format!(
        "Threshold Crossed: {breaching} out of the last {} datapoints [{}] {} {} the threshold ({}) \
         (minimum {needed} datapoint{} for ALARM)",
        evaluated.len(),
        shown.join(", "),
        if breaching == 1 { "was" } else { "were" },
        spec.comparison.words(),
        spec.threshold,
        if needed == 1 { "" } else { "s" },
    );
    Evaluation { state, reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(treat: TreatMissing, periods: u32, datapoints: u32) -> AlarmSpec {
        AlarmSpec {
            name: "failures".into(),
            description: None,
            metric: "ExecutionsFailed".into(),
            dimensions: vec![("stateMachine".into(), "orders".into())],
            statistic: Statistic::Sum,
            period_minutes: 1,
            evaluation_periods: periods,
            datapoints_to_alarm: datapoints,
            threshold: 0.0,
            comparison: Comparison::GreaterThan,
            treat_missing: treat,
            targets: Vec::new(),
        }
    }

    fn state(treat: TreatMissing, values: &[Option<f64>], current: AlarmState) -> AlarmState {
        evaluate(&spec(treat, values.len() as u32, values.len() as u32), values, current).state
    }

    #[test]
    fn breaching_periods_raise_the_alarm_and_quiet_ones_clear_it() {
        use AlarmState::*;
        use TreatMissing::*;
        assert_eq!(state(Missing, &[Some(1.0), Some(2.0)], Ok), Alarm);
        assert_eq!(state(Missing, &[Some(1.0), Some(0.0)], Alarm), Ok);
        let two_of_three = spec(Missing, 3, 2);
        assert_eq!(
            evaluate(&two_of_three, &[Some(1.0), Some(0.0), Some(3.0)], Ok).state,
            Alarm
        );
        assert_eq!(
            evaluate(&two_of_three, &[Some(0.0), Some(0.0), Some(3.0)], Ok).state,
            Ok
        );
        let reason = evaluate(&two_of_three, &[Some(1.0), Some(0.0), Some(3.0)], Ok).reason;
        assert!(
            reason.starts_with(
                "Threshold Crossed: 2 out of the last 3 datapoints [1, 0, 3] were greater than the threshold (0)"
            ),
            "{reason}"
        );
    }

    #[test]
    fn missing_data_is_treated_as_the_alarm_says() {
        use AlarmState::*;
        use TreatMissing::*;
        let none = [None, None];
        assert_eq!(state(Missing, &none, Alarm), InsufficientData);
        assert_eq!(state(Ignore, &none, Alarm), Alarm, "ignore keeps the state");
        assert_eq!(state(Ignore, &none, Ok), Ok);
        assert_eq!(state(NotBreaching, &none, Alarm), Ok);
        assert_eq!(state(Breaching, &none, Ok), Alarm);
        // Some present: missing and ignore judge by those alone.
        assert_eq!(state(Missing, &[None, Some(4.0)], Ok), Alarm);
        assert_eq!(state(Ignore, &[Some(0.0), None], Alarm), Ok);
        assert_eq!(
            state(NotBreaching, &[None, Some(4.0)], Ok),
            Ok,
            "one breach of two needed"
        );
        assert_eq!(state(Breaching, &[None, Some(4.0)], Ok), Alarm);
    }

    #[test]
    fn periods_add_up_the_matching_series_minute_by_minute() {
        let mut alarm = spec(TreatMissing::Missing, 3, 3);
        alarm.period_minutes = 2;
        let key = |machine: &str| SeriesKey {
            metric: "ExecutionsFailed".into(),
            state_machine: machine.into(),
            state: String::new(),
            plugin: String::new(),
        };
        let one = Aggregate {
            count: 1,
            sum: 1.0,
            min: 1.0,
            max: 1.0,
            ..Aggregate::default()
        };
        let minutes = vec![
            (94, key("orders"), one.clone()),
            (95, key("orders"), one.clone()),
            (95, key("other"), one.clone()),
            (99, key("orders"), one.clone()),
            (100, key("orders"), one.clone()),
            (93, key("orders"), one.clone()),
        ];
        // Now is minute 100 (open): periods [94,96), [96,98), [98,100).
        assert_eq!(period_values(&alarm, &minutes, 100), [Some(2.0), None, Some(1.0)]);
        alarm.dimensions.clear();
        assert_eq!(period_values(&alarm, &minutes, 100), [Some(3.0), None, Some(1.0)]);
        alarm.statistic = Statistic::Average;
        assert_eq!(period_values(&alarm, &minutes, 100)[0], Some(1.0));
        assert_eq!(Statistic::parse("p99"), Some(Statistic::Percentile(0.99)));
        assert_eq!(Statistic::parse("p101"), None);
        assert_eq!(Statistic::parse("Median"), None);
    }
}
