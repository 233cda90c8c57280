//! Choice rules, retriers and catchers.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::states::target;
use super::{Parser, fields};
use crate::definition::model::*;
use crate::jsonata_template::expression_text;

const STATES_ALL: &str = "States.ALL";

/// Every comparison operator with the JSON type its literal operand must have.
const OPERATORS: &[(&str, Operator, Operand_)] = &[
    ("StringEquals", Operator::StringEquals, Operand_::String),
    ("StringLessThan", Operator::StringLessThan, Operand_::String),
    ("StringGreaterThan", Operator::StringGreaterThan, Operand_::String),
    ("StringLessThanEquals", Operator::StringLessThanEquals, Operand_::String),
    (
        "StringGreaterThanEquals",
        Operator::StringGreaterThanEquals,
        Operand_::String,
    ),
    ("StringMatches", Operator::StringMatches, Operand_::String),
    ("NumericEquals", Operator::NumericEquals, Operand_::Number),
    ("NumericLessThan", Operator::NumericLessThan, Operand_::Number),
    ("NumericGreaterThan", Operator::NumericGreaterThan, Operand_::Number),
    (
        "NumericLessThanEquals",
        Operator::NumericLessThanEquals,
        Operand_::Number,
    ),
    (
        "NumericGreaterThanEquals",
        Operator::NumericGreaterThanEquals,
        Operand_::Number,
    ),
    ("BooleanEquals", Operator::BooleanEquals, Operand_::Bool),
    ("TimestampEquals", Operator::TimestampEquals, Operand_::Timestamp),
    ("TimestampLessThan", Operator::TimestampLessThan, Operand_::Timestamp),
    (
        "TimestampGreaterThan",
        Operator::TimestampGreaterThan,
        Operand_::Timestamp,
    ),
    (
        "TimestampLessThanEquals",
        Operator::TimestampLessThanEquals,
        Operand_::Timestamp,
    ),
    (
        "TimestampGreaterThanEquals",
        Operator::TimestampGreaterThanEquals,
        Operand_::Timestamp,
    ),
    ("IsNull", Operator::IsNull, Operand_::Bool),
    ("IsPresent", Operator::IsPresent, Operand_::Bool),
    ("IsNumeric", Operator::IsNumeric, Operand_::Bool),
    ("IsString", Operator::IsString, Operand_::Bool),
    ("IsBoolean", Operator::IsBoolean, Operand_::Bool),
    ("IsTimestamp", Operator::IsTimestamp, Operand_::Bool),
];

/// The `…Path` forms (all but `StringMatches` and the `Is…` tests).
const PATH_OPERATORS: &[(&str, Operator)] = &[
    ("StringEqualsPath", Operator::StringEquals),
    ("StringLessThanPath", Operator::StringLessThan),
    ("StringGreaterThanPath", Operator::StringGreaterThan),
    ("StringLessThanEqualsPath", Operator::StringLessThanEquals),
    ("StringGreaterThanEqualsPath", Operator::StringGreaterThanEquals),
    ("NumericEqualsPath", Operator::NumericEquals),
    ("NumericLessThanPath", Operator::NumericLessThan),
    ("NumericGreaterThanPath", Operator::NumericGreaterThan),
    ("NumericLessThanEqualsPath", Operator::NumericLessThanEquals),
    ("NumericGreaterThanEqualsPath", Operator::NumericGreaterThanEquals),
    ("BooleanEqualsPath", Operator::BooleanEquals),
    ("TimestampEqualsPath", Operator::TimestampEquals),
    ("TimestampLessThanPath", Operator::TimestampLessThan),
    ("TimestampGreaterThanPath", Operator::TimestampGreaterThan),
    ("TimestampLessThanEqualsPath", Operator::TimestampLessThanEquals),
    ("TimestampGreaterThanEqualsPath", Operator::TimestampGreaterThanEquals),
];

#[derive(Clone, Copy)]
#[allow(non_camel_case_types)]
enum Operand_ {
    String,
    Number,
    Bool,
    Timestamp,
}

/// Rules nest; AWS has no documented limit, but the interpreter recurses on
/// them, so a depth cap keeps a hostile definition from exhausting the stack.
const MAX_RULE_DEPTH: usize = 64;

pub(crate) fn choice(
    parser: &mut Parser,
    obj: &Map<String, Value>,
    loc: &str,
    language: QueryLanguage,
    indexes: &HashMap<&str, StateIndex>,
) -> Option<ChoiceState> {
    let Some(choices) = obj.get("Choices") else {
        parser.schema("These fields are required: [Choices]", loc);
        return None;
    };
    let list = match choices.as_array() {
        Some(l) if !l.is_empty() => l,
        _ => {
            parser.schema(
                "The value for the field 'Choices' must be a non-empty ARRAY",
                &format!("{loc}/Choices"),
            );
            return None;
        }
    };
    let mut branches = Vec::with_capacity(list.len());
    let mut ok = true;
    for (i, c) in list.iter().enumerate() {
        let cloc = format!("{loc}/Choices/{i}");
        match choice_branch(parser, c, &cloc, language, indexes) {
            Some(b) => branches.push(b),
            None => ok = false,
        }
    }
    let default = match obj.get("Default") {
        Some(v) => Some(target(parser, v, "Default", loc, indexes)?),
        None => None,
    };
    ok.then_some(ChoiceState {
        choices: branches,
        default,
    })
}

fn choice_branch(
    parser: &mut Parser,
    value: &Value,
    loc: &str,
    language: QueryLanguage,
    indexes: &HashMap<&str, StateIndex>,
) -> Option<ChoiceBranch> {
    let Some(obj) = value.as_object() else {
        parser.schema("A choice rule must be a JSON object", loc);
        return None;
    };
    let next = match obj.get("Next") {
        Some(v) => target(parser, v, "Next", loc, indexes),
        None => {
            parser.schema("These fields are required: [Next]", loc);
            None
        }
    };
    let assign = obj.get("Assign").and_then(|v| fields::assign(parser, v, loc, language));
    let (rule, output) = match language {
        QueryLanguage::Jsonata => {
            fields::reject_unknown(parser, obj, &["Condition", "Next", "Comment", "Assign", "Output"], loc);
            let condition = match obj.get("Condition") {
                Some(v @ Value::String(s)) if expression_text(s).is_some() => {
                    fields::jsonata(parser, v, "Condition", loc)
                }
                Some(v @ Value::Bool(_)) => fields::jsonata(parser, v, "Condition", loc),
                Some(_) => {
                    parser.schema(
                        "The value for the field 'Condition' must be a JSONata expression",
                        &format!("{loc}/Condition"),
                    );
                    None
                }
                None => {
                    parser.schema("These fields are required: [Condition]", loc);
                    None
                }
            };
            let output = obj
                .get("Output")
                .and_then(|v| fields::jsonata(parser, v, "Output", loc));
            (condition.map(ChoiceRule::Condition), output)
        }
        QueryLanguage::JsonPath => (rule(parser, obj, loc, true, 0), None),
    };
    Some(ChoiceBranch {
        rule: rule?,
        next: next?,
        assign,
        output,
    })
}

fn rule(parser: &mut Parser, obj: &Map<String, Value>, loc: &str, top: bool, depth: usize) -> Option<ChoiceRule> {
    if depth > MAX_RULE_DEPTH {
        parser.schema(format!("Choice rules nest deeper than {MAX_RULE_DEPTH} levels"), loc);
        return None;
    }
    if !top && obj.contains_key("Next") {
        parser.schema(
            "A nested choice rule cannot have the field 'Next'",
            &format!("{loc}/Next"),
        );
    }
    if !top && obj.contains_key("Assign") {
        parser.schema(
            "A nested choice rule cannot have the field 'Assign'",
            &format!("{loc}/Assign"),
        );
    }
    let mut combinators = Vec::new();
    for key in ["And", "Or", "Not"] {
        if obj.contains_key(key) {
            combinators.push(key);
        }
    }
    let operator_keys: Vec<&String> = obj
        .keys()
        .filter(|k| OPERATORS.iter().any(|(n, ..)| n == k) || PATH_OPERATORS.iter().any(|(n, _)| n == k))
        .collect();
    for key in obj.keys() {
        let known = matches!(
            key.as_str(),
            "Variable" | "Next" | "Comment" | "Assign" | "And" | "Or" | "Not"
        ) || operator_keys.contains(&key);
        if !known {
            parser.schema(
                format!("Field '{key}' is not supported in a choice rule"),
                &format!("{loc}/{key}"),
            );
        }
    }
    if combinators.len() + operator_keys.len() != 1 {
        parser.schema(
            "A choice rule must have exactly one comparison operator or one of And, Or, Not",
            loc,
        );
        return None;
    }
    if let Some(&comb) = combinators.first() {
        if obj.contains_key("Variable") {
            parser.schema(
                format!("The field 'Variable' cannot be used with '{comb}'"),
                &format!("{loc}/Variable"),
            );
        }
        let value = &obj[comb];
        let sub_loc = format!("{loc}/{comb}");
        return match comb {
            "Not" => {
                let Some(inner) = value.as_object() else {
                    parser.schema("The value for the field 'Not' must be an OBJECT", &sub_loc);
                    return None;
                };
                rule(parser, inner, &sub_loc, false, depth + 1).map(|r| ChoiceRule::Not(Box::new(r)))
            }
            _ => {
                let list = match value.as_array() {
                    Some(l) if !l.is_empty() => l,
                    _ => {
                        parser.schema(
                            format!("The value for the field '{comb}' must be a non-empty ARRAY"),
                            &sub_loc,
                        );
                        return None;
                    }
                };
                let mut rules = Vec::with_capacity(list.len());
                for (i, r) in list.iter().enumerate() {
                    let rloc = format!("{sub_loc}/{i}");
                    let Some(robj) = r.as_object() else {
                        parser.schema("A choice rule must be a JSON object", &rloc);
                        return None;
                    };
                    rules.push(rule(parser, robj, &rloc, false, depth + 1)?);
                }
                Some(if comb == "And" {
                    ChoiceRule::And(rules)
                } else {
                    ChoiceRule::Or(rules)
                })
            }
        };
    }

    let Some(variable_value) = obj.get("Variable") else {
        parser.schema("These fields are required: [Variable]", loc);
        return None;
    };
    let variable = fields::json_path(parser, variable_value, "Variable", loc)?;
    let key = operator_keys[0].as_str();
    let value = &obj[key];
    let kloc = format!("{loc}/{key}");
    if let Some(&(name, operator)) = PATH_OPERATORS.iter().find(|(n, _)| *n == key) {
        let path = fields::json_path(parser, value, key, loc)?;
        return Some(ChoiceRule::Compare(Box::new(Compare {
            variable,
            comparison: Comparison {
                operator,
                operand: Operand::Path(path),
                field: name,
            },
        })));
    }
    let &(name, operator, kind) = OPERATORS.iter().find(|(n, ..)| *n == key).expect("filtered above");
    let ok = match kind {
        Operand_::String => value.is_string(),
        Operand_::Number => value.is_number(),
        Operand_::Bool => value.is_boolean(),
        Operand_::Timestamp => value.as_str().is_some_and(|s| crate::timestamp::parse(s).is_some()),
    };
    if !ok {
        let expected = match kind {
            Operand_::String => "a STRING",
            Operand_::Number => "a NUMBER",
            Operand_::Bool => "a BOOLEAN",
            Operand_::Timestamp => "a valid ISO-8601 timestamp",
        };
        parser.schema(format!("The value for the field '{key}' must be {expected}"), &kloc);
        return None;
    }
    Some(ChoiceRule::Compare(Box::new(Compare {
        variable,
        comparison: Comparison {
            operator,
            operand: Operand::Literal(value.clone()),
            field: name,
        },
    })))
}

fn error_equals(parser: &mut Parser, obj: &Map<String, Value>, loc: &str, last: bool) -> Option<Vec<String>> {
    let Some(v) = obj.get("ErrorEquals") else {
        parser.schema("These fields are required: [ErrorEquals]", loc);
        return None;
    };
    let eloc = format!("{loc}/ErrorEquals");
    let names: Option<Vec<String>> = v
        .as_array()
        .and_then(|a| a.iter().map(|e| e.as_str().map(str::to_owned)).collect());
    let names = match names {
        Some(n) if !n.is_empty() => n,
        _ => {
            parser.schema(
                "The value for the field 'ErrorEquals' must be a non-empty ARRAY of STRINGs",
                &eloc,
            );
            return None;
        }
    };
    if names.iter().any(|n| n == STATES_ALL) {
        if names.len() > 1 {
            parser.schema("States.ALL must appear alone in ErrorEquals", &eloc);
        } else if !last {
            parser.schema("States.ALL must appear in the last retrier or catcher", &eloc);
        }
    }
    Some(names)
}

pub(crate) fn retriers(parser: &mut Parser, obj: &Map<String, Value>, loc: &str) -> Vec<Retrier> {
    let Some(v) = obj.get("Retry") else {
        return Vec::new();
    };
    let Some(list) = v.as_array() else {
        parser.schema(
            "The value for the field 'Retry' must be an ARRAY",
            &format!("{loc}/Retry"),
        );
        return Vec::new();
    };
    let mut out = Vec::with_capacity(list.len());
    for (i, r) in list.iter().enumerate() {
        let rloc = format!("{loc}/Retry/{i}");
        let Some(robj) = r.as_object() else {
            parser.schema("A retrier must be a JSON object", &rloc);
            continue;
        };
        fields::reject_unknown(
            parser,
            robj,
            &[
                "ErrorEquals",
                "IntervalSeconds",
                "MaxAttempts",
                "BackoffRate",
                "MaxDelaySeconds",
                "JitterStrategy",
                "Comment",
            ],
            &rloc,
        );
        let errors = error_equals(parser, robj, &rloc, i + 1 == list.len());
        let interval_seconds = fields::opt_int_in(parser, robj, "IntervalSeconds", &rloc, 1, 99_999_999).unwrap_or(1);
        let max_attempts = fields::opt_int_in(parser, robj, "MaxAttempts", &rloc, 0, 99_999_999).unwrap_or(3);
        let backoff_rate = match robj.get("BackoffRate") {
            None => 2.0,
            Some(b) => match b.as_f64() {
                Some(x) if x >= 1.0 && x.is_finite() => x,
                _ => {
                    parser.schema(
                        "The value for the field 'BackoffRate' must be a NUMBER >= 1.0",
                        &format!("{rloc}/BackoffRate"),
                    );
                    2.0
                }
            },
        };
        let max_delay_seconds = fields::opt_int_in(parser, robj, "MaxDelaySeconds", &rloc, 1, 31_622_400);
        let jitter = match robj.get("JitterStrategy").map(|j| j.as_str()) {
            None | Some(Some("NONE")) => Jitter::None,
            Some(Some("FULL")) => Jitter::Full,
            Some(_) => {
                parser.schema(
                    "The value for the field 'JitterStrategy' must be one of [FULL, NONE]",
                    &format!("{rloc}/JitterStrategy"),
                );
                Jitter::None
            }
        };
        if let Some(error_equals) = errors {
            out.push(Retrier {
                error_equals,
                interval_seconds,
                max_attempts,
                backoff_rate,
                max_delay_seconds,
                jitter,
            });
        }
    }
    out
}

pub(crate) fn catchers(
    parser: &mut Parser,
    obj: &Map<String, Value>,
    loc: &str,
    language: QueryLanguage,
    indexes: &HashMap<&str, StateIndex>,
) -> Vec<Catcher> {
    let Some(v) = obj.get("Catch") else {
        return Vec::new();
    };
    let Some(list) = v.as_array() else {
        parser.schema(
            "The value for the field 'Catch' must be an ARRAY",
            &format!("{loc}/Catch"),
        );
        return Vec::new();
    };
    let mut out = Vec::with_capacity(list.len());
    for (i, c) in list.iter().enumerate() {
        let cloc = format!("{loc}/Catch/{i}");
        let Some(cobj) = c.as_object() else {
            parser.schema("A catcher must be a JSON object", &cloc);
            continue;
        };
        let allowed: &[&str] = match language {
            QueryLanguage::JsonPath => &["ErrorEquals", "Next", "ResultPath", "Assign", "Comment"],
            QueryLanguage::Jsonata => &["ErrorEquals", "Next", "Output", "Assign", "Comment"],
        };
        fields::reject_unknown(parser, cobj, allowed, &cloc);
        let errors = error_equals(parser, cobj, &cloc, i + 1 == list.len());
        let next = match cobj.get("Next") {
            Some(n) => target(parser, n, "Next", &cloc, indexes),
            None => {
                parser.schema("These fields are required: [Next]", &cloc);
                None
            }
        };
        let result_path = match language {
            QueryLanguage::JsonPath => fields::result_path(parser, cobj, &cloc),
            QueryLanguage::Jsonata => ResultPath::Whole,
        };
        let output = match language {
            QueryLanguage::Jsonata => cobj
                .get("Output")
                .and_then(|o| fields::jsonata(parser, o, "Output", &cloc)),
            QueryLanguage::JsonPath => None,
        };
        let assign = cobj
            .get("Assign")
            .and_then(|a| fields::assign(parser, a, &cloc, language));
        if let (Some(error_equals), Some(next)) = (errors, next) {
            out.push(Catcher {
                error_equals,
                next,
                result_path,
                output,
                assign,
            });
        }
    }
    out
}
