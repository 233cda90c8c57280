//! Choice: evaluate the rules in order, take the first that matches.

use std::cmp::Ordering;

use serde_json::Value;

use crate::error::{AwsJson, Failure, names};
use crate::frame::Frame;
use stepyard_asl::definition::{Assign, ChoiceRule, ChoiceState, Comparison, Operand, Operator, StateIndex};
use stepyard_asl::jsonpath::JsonPath;

/// The state to go to, and which rule matched (`None` for `Default`).
pub(crate) type Decision = (StateIndex, Option<usize>);

pub(crate) fn decide_jsonpath(frame: &Frame<'_>, choice: &ChoiceState, input: &Value) -> Result<Decision, Failure> {
    for (i, branch) in choice.choices.iter().enumerate() {
        if eval_rule(frame, &branch.rule, input)? {
            return Ok((branch.next, Some(i)));
        }
    }
    default(choice)
}

pub(crate) fn decide_jsonata(frame: &Frame<'_>, choice: &ChoiceState, states: &Value) -> Result<Decision, Failure> {
    for (i, branch) in choice.choices.iter().enumerate() {
        let ChoiceRule::Condition(template) = &branch.rule else {
            continue;
        };
        let value = frame.jsonata(template, states, "Condition")?;
        match value {
            Value::Bool(true) => return Ok((branch.next, Some(i))),
            Value::Bool(false) => {}
            other => {
                let text = template
                    .expressions()
                    .first()
                    .map(|e| e.text.clone())
                    .unwrap_or_default();
                return Err(frame.field_error("Condition", format!(
                    "The JSONata expression '{text}' specified for the field 'Condition' returned an unexpected result type. Expected 'boolean', but was '{}' for value: {}",
                    type_name(&other),
                    AwsJson(&other)
                )));
            }
        }
    }
    default(choice)
}

fn default(choice: &ChoiceState) -> Result<Decision, Failure> {
    match choice.default {
        Some(d) => Ok((d, None)),
        None => Err(Failure::new(names::NO_CHOICE_MATCHED, "No Matches!")),
    }
}

/// The `Assign` that applies: the matched rule's, or the state's for `Default`.
pub(crate) fn chosen_assign<'a>(
    choice: &'a ChoiceState,
    decision: Option<Decision>,
    state_assign: Option<&'a Assign>,
) -> Option<&'a Assign> {
    match decision {
        Some((_, Some(i))) => choice.choices[i].assign.as_ref(),
        _ => state_assign,
    }
}

/// JSON type names as AWS prints them in error causes.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn eval_rule(frame: &Frame<'_>, rule: &ChoiceRule, input: &Value) -> Result<bool, Failure> {
    Ok(match rule {
        ChoiceRule::And(rules) => {
            for r in rules {
                if !eval_rule(frame, r, input)? {
                    return Ok(false);
                }
            }
            true
        }
        ChoiceRule::Or(rules) => {
            for r in rules {
                if eval_rule(frame, r, input)? {
                    return Ok(true);
                }
            }
            false
        }
        ChoiceRule::Not(r) => !eval_rule(frame, r, input)?,
        ChoiceRule::Compare(c) => compare(frame, &c.variable, &c.comparison, input)?,
        ChoiceRule::Condition(_) => false,
    })
}

fn compare(frame: &Frame<'_>, variable: &JsonPath, comparison: &Comparison, input: &Value) -> Result<bool, Failure> {
    let resolved = frame.select(variable, input).ok();
    if comparison.operator == Operator::IsPresent {
        return Ok(resolved.is_some() == is_literal_true(&comparison.operand));
    }
    let Some(value) = resolved else {
        return Err(invalid_path(frame, variable));
    };
    let operand = match &comparison.operand {
        Operand::Literal(v) => std::borrow::Cow::Borrowed(v),
        Operand::Path(p) => frame.select(p, input).map_err(|_| invalid_path(frame, p))?,
    };
    Ok(test(comparison.operator, &value, &operand))
}

fn invalid_path(frame: &Frame<'_>, path: &JsonPath) -> Failure {
    frame.runtime(format!(
        "Invalid path '{}': The choice state's condition path references an invalid value.",
        path.as_str()
    ))
}

/// `IsPresent: true` (the operand of `IsPresent` is a literal boolean).
fn is_literal_true(operand: &Operand) -> bool {
    matches!(operand, Operand::Literal(Value::Bool(true)))
}

/// One data test. Values of the wrong type never match.
pub(crate) fn test(op: Operator, value: &Value, operand: &Value) -> bool {
    use Operator::*;
    let expect = || operand.as_bool().unwrap_or(false);
    match op {
        StringEquals => str_cmp(value, operand) == Some(Ordering::Equal),
        StringLessThan => str_cmp(value, operand) == Some(Ordering::Less),
        StringGreaterThan => str_cmp(value, operand) == Some(Ordering::Greater),
        StringLessThanEquals => matches!(str_cmp(value, operand), Some(Ordering::Less | Ordering::Equal)),
        StringGreaterThanEquals => matches!(str_cmp(value, operand), Some(Ordering::Greater | Ordering::Equal)),
        StringMatches => match (value.as_str(), operand.as_str()) {
            (Some(s), Some(p)) => wildcard_match(p, s),
            _ => false,
        },
        NumericEquals => num_cmp(value, operand) == Some(Ordering::Equal),
        NumericLessThan => num_cmp(value, operand) == Some(Ordering::Less),
        NumericGreaterThan => num_cmp(value, operand) == Some(Ordering::Greater),
        NumericLessThanEquals => matches!(num_cmp(value, operand), Some(Ordering::Less | Ordering::Equal)),
        NumericGreaterThanEquals => matches!(num_cmp(value, operand), Some(Ordering::Greater | Ordering::Equal)),
        BooleanEquals => matches!((value, operand), (Value::Bool(a), Value::Bool(b)) if a == b),
        TimestampEquals => ts_cmp(value, operand) == Some(Ordering::Equal),
        TimestampLessThan => ts_cmp(value, operand) == Some(Ordering::Less),
        TimestampGreaterThan => ts_cmp(value, operand) == Some(Ordering::Greater),
        TimestampLessThanEquals => matches!(ts_cmp(value, operand), Some(Ordering::Less | Ordering::Equal)),
        TimestampGreaterThanEquals => matches!(ts_cmp(value, operand), Some(Ordering::Greater | Ordering::Equal)),
        IsNull => value.is_null() == expect(),
        IsPresent => expect(),
        IsNumeric => value.is_number() == expect(),
        IsString => value.is_string() == expect(),
        IsBoolean => value.is_boolean() == expect(),
        IsTimestamp => {
            value
                .as_str()
                .is_some_and(|s| stepyard_asl::timestamp::parse(s).is_some())
                == expect()
        }
    }
}

/// Strings compare as Java does: by UTF-16 code units.
fn str_cmp(a: &Value, b: &Value) -> Option<Ordering> {
    let (a, b) = (a.as_str()?, b.as_str()?);
    Some(a.encode_utf16().cmp(b.encode_utf16()))
}

fn num_cmp(a: &Value, b: &Value) -> Option<Ordering> {
    let (Value::Number(a), Value::Number(b)) = (a, b) else {
        return None;
    };
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return Some(x.cmp(&y));
    }
    if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
        return Some(x.cmp(&y));
    }
    a.as_f64()?.partial_cmp(&b.as_f64()?)
}

fn ts_cmp(a: &Value, b: &Value) -> Option<Ordering> {
    let a = stepyard_asl::timestamp::parse(a.as_str()?)?;
    let b = stepyard_asl::timestamp::parse(b.as_str()?)?;
    Some(a.cmp(&b))
}

/// `StringMatches`: `*` matches any run of characters; `\*` and `\\` are
/// a literal star and backslash.
pub(crate) fn wildcard_match(pattern: &str, text: &str) -> bool {
    use stepyard_wildcard::Token;
    let mut tokens = Vec::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        tokens.push(match c {
            '\\' => Token::Char(chars.next().unwrap_or('\\')),
            '*' => Token::Any,
            c => Token::Char(c),
        });
    }
    stepyard_wildcard::matches_str(&tokens, text, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wildcards_match_like_aws() {
        assert!(wildcard_match("log-*.txt", "log-2024-01.txt"));
        assert!(!wildcard_match("log-*.txt", "log-2024-01.csv"));
        assert!(wildcard_match("*", ""));
        assert!(wildcard_match("a\\*b", "a*b"));
        assert!(!wildcard_match("a\\*b", "axb"));
        assert!(wildcard_match("*.*.*", "a.b.c"));
        assert!(!wildcard_match("abc", "abcd"));
    }

    #[test]
    fn numbers_compare_by_value_across_int_and_float() {
        assert!(test(Operator::NumericEquals, &json!(1), &json!(1.0)));
        assert!(test(Operator::NumericLessThan, &json!(-1), &json!(0.5)));
        assert!(!test(Operator::NumericEquals, &json!("1"), &json!(1)));
    }

    #[test]
    fn wrong_types_never_match() {
        assert!(!test(Operator::StringEquals, &json!(1), &json!("1")));
        assert!(!test(Operator::BooleanEquals, &json!("true"), &json!(true)));
        assert!(!test(
            Operator::TimestampEquals,
            &json!("yesterday"),
            &json!("2020-01-01T00:00:00Z")
        ));
    }

    #[test]
    fn is_tests_compare_with_their_flag() {
        assert!(test(Operator::IsNull, &json!(null), &json!(true)));
        assert!(test(Operator::IsNull, &json!(0), &json!(false)));
        assert!(test(
            Operator::IsTimestamp,
            &json!("2020-01-01T00:00:00Z"),
            &json!(true)
        ));
        assert!(test(Operator::IsString, &json!(1), &json!(false)));
    }

    #[test]
    fn strings_order_by_utf16_code_units() {
        // U+FF61 sorts after U+1F600 in UTF-16 (0xFF61 > 0xD83D), but before it in UTF-8.
        assert!(test(
            Operator::StringGreaterThan,
            &json!("\u{FF61}"),
            &json!("\u{1F600}")
        ));
    }
}
