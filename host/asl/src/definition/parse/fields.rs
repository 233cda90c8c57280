//! Small readers for typed fields, each reporting AWS-style diagnostics.

use serde_json::{Map, Value};

use super::Parser;
use crate::definition::model::{Assign, Dynamic, OptionalPath, QueryLanguage, ResultPath};
use crate::intrinsics::IntrinsicCall;
use crate::jsonata_template::{JsonataTemplate, expression_text};
use crate::jsonpath::{JsonPath, ReferencePath};
use crate::payload::PayloadTemplate;

/// Reports every field of `obj` that is not in `allowed`.
pub(crate) fn reject_unknown(parser: &mut Parser, obj: &Map<String, Value>, allowed: &[&str], location: &str) {
    for key in obj.keys() {
        if !allowed.contains(&key.as_str()) {
            parser.schema(format!("Field '{key}' is not supported"), location);
        }
    }
}

/// Reports the missing ones among `required`, in one diagnostic as AWS does.
pub(crate) fn require(parser: &mut Parser, obj: &Map<String, Value>, required: &[&str], location: &str) {
    let missing: Vec<&str> = required.iter().copied().filter(|k| !obj.contains_key(*k)).collect();
    if !missing.is_empty() {
        parser.schema(format!("These fields are required: [{}]", missing.join(", ")), location);
    }
}

pub(crate) fn query_language(parser: &mut Parser, value: &Value, location: &str) -> Option<QueryLanguage> {
    match value.as_str() {
        Some("JSONPath") => Some(QueryLanguage::JsonPath),
        Some("JSONata") => Some(QueryLanguage::Jsonata),
        _ => {
            parser.schema(
                "The value for the field 'QueryLanguage' must be one of [JSONPath, JSONata]",
                location,
            );
            None
        }
    }
}

pub(crate) fn opt_string(parser: &mut Parser, obj: &Map<String, Value>, key: &str, location: &str) -> Option<String> {
    match obj.get(key)? {
        Value::String(s) => Some(s.clone()),
        _ => {
            parser.schema(
                format!("The value for the field '{key}' must be a STRING"),
                &format!("{location}/{key}"),
            );
            None
        }
    }
}

/// An integer field in `[min, max]`, or `None` (and a diagnostic) when it
/// is present but out of range or not an integer.
pub(crate) fn opt_int_in(
    parser: &mut Parser,
    obj: &Map<String, Value>,
    key: &str,
    location: &str,
    min: u64,
    max: u64,
) -> Option<u64> {
    let v = obj.get(key)?;
    match v.as_u64() {
        Some(n) if (min..=max).contains(&n) => Some(n),
        _ => {
            parser.schema(
                format!("The value for the field '{key}' must be an INTEGER between {min} and {max}"),
                &format!("{location}/{key}"),
            );
            None
        }
    }
}

/// A JSONPath (`$…`, `$$…`, `$var…`) given as a string field.
pub(crate) fn json_path(parser: &mut Parser, value: &Value, key: &str, location: &str) -> Option<JsonPath> {
    string_field(parser, value, key, location, "a valid JSONPath", |s| {
        JsonPath::parse(s).ok()
    })
}

/// A reference path (definite, no filters) given as a string field.
pub(crate) fn reference_path(parser: &mut Parser, value: &Value, key: &str, location: &str) -> Option<ReferencePath> {
    string_field(parser, value, key, location, "a valid Reference Path", |s| {
        ReferencePath::parse(s).ok()
    })
}

/// A string field parsed by `parse`; reports "must be {what}" when it fails.
fn string_field<T>(
    parser: &mut Parser,
    value: &Value,
    key: &str,
    location: &str,
    what: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Option<T> {
    let parsed = value.as_str().and_then(parse);
    if parsed.is_none() {
        parser.schema(
            format!("The value for the field '{key}' must be {what}"),
            &format!("{location}/{key}"),
        );
    }
    parsed
}

/// `InputPath` / `OutputPath`.
pub(crate) fn optional_path(parser: &mut Parser, obj: &Map<String, Value>, key: &str, location: &str) -> OptionalPath {
    match obj.get(key) {
        None => OptionalPath::Whole,
        Some(Value::Null) => OptionalPath::Null,
        Some(v) => json_path(parser, v, key, location).map_or(OptionalPath::Whole, OptionalPath::Path),
    }
}

/// `ResultPath` (of a state or a catcher).
pub(crate) fn result_path(parser: &mut Parser, obj: &Map<String, Value>, location: &str) -> ResultPath {
    match obj.get("ResultPath") {
        None => ResultPath::Whole,
        Some(Value::Null) => ResultPath::Null,
        Some(v) => reference_path(parser, v, "ResultPath", location).map_or(ResultPath::Whole, ResultPath::Path),
    }
}

/// A payload template (`Parameters`, `ResultSelector`, `ItemSelector`, JSONPath `Assign`).
pub(crate) fn payload(parser: &mut Parser, value: &Value, key: &str, location: &str) -> Option<PayloadTemplate> {
    let loc = format!("{location}/{key}");
    // The service takes any JSON value as `Parameters` (AWS loosened its
    // own schema to match: numbers, strings, booleans, null and arrays are
    // accepted, and objects inside an array are templates too); the other
    // templates are key-value collections.
    if !value.is_object() && key != "Assign" && key != "Parameters" {
        parser.schema(format!("The value for the field '{key}' must be an OBJECT"), &loc);
        return None;
    }
    match PayloadTemplate::compile(value) {
        Ok(t) => Some(t),
        Err(errors) => {
            for e in errors {
                parser.schema(e.message, &format!("{loc}{}", e.pointer));
            }
            None
        }
    }
}

/// A JSONata template field (`Arguments`, `Output`, `Items`…).
pub(crate) fn jsonata(parser: &mut Parser, value: &Value, key: &str, location: &str) -> Option<JsonataTemplate> {
    let loc = format!("{location}/{key}");
    match JsonataTemplate::compile(value) {
        Ok(t) => Some(t),
        Err(errors) => {
            for e in errors {
                parser.schema(e.message, &format!("{loc}{}", e.pointer));
            }
            None
        }
    }
}

/// `Assign` in the given language.
pub(crate) fn assign(parser: &mut Parser, value: &Value, location: &str, language: QueryLanguage) -> Option<Assign> {
    let loc = format!("{location}/Assign");
    let Some(map) = value.as_object() else {
        parser.schema("The value for the field 'Assign' must be an OBJECT", &loc);
        return None;
    };
    for key in map.keys() {
        let name = key.strip_suffix(".$").unwrap_or(key);
        if !valid_variable_name(name) {
            parser.schema(format!("The variable name '{name}' is not valid"), &loc);
        }
        if language == QueryLanguage::Jsonata && key.ends_with(".$") {
            parser.schema(format!("The field '{key}' is not supported in a JSONata state"), &loc);
        }
    }
    match language {
        QueryLanguage::JsonPath => payload(parser, value, "Assign", location).map(Assign::JsonPath),
        QueryLanguage::Jsonata => jsonata(parser, value, "Assign", location).map(Assign::Jsonata),
    }
}

/// Variable names: a letter or `_`, then letters, digits and `_`; never `states`.
pub(crate) fn valid_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_alphabetic() || c == '_');
    first_ok && chars.all(|c| c.is_alphanumeric() || c == '_') && name != "states" && name.len() <= 80
}

/// A number field that JSONPath states give literally (`Key`) or by path
/// (`KeyPath`), and JSONata states literally or as an expression.
pub(crate) fn dynamic_int(
    parser: &mut Parser,
    obj: &Map<String, Value>,
    key: &str,
    location: &str,
    language: QueryLanguage,
    min: i64,
    max: i64,
) -> Option<Dynamic<u64>> {
    dynamic_signed(parser, obj, key, location, language, min, max).map(|d| match d {
        Dynamic::Literal(n) => Dynamic::Literal(n.max(0) as u64),
        Dynamic::Path(p) => Dynamic::Path(p),
        Dynamic::Intrinsic(c) => Dynamic::Intrinsic(c),
        Dynamic::Jsonata(t) => Dynamic::Jsonata(t),
    })
}

pub(crate) fn dynamic_signed(
    parser: &mut Parser,
    obj: &Map<String, Value>,
    key: &str,
    location: &str,
    language: QueryLanguage,
    min: i64,
    max: i64,
) -> Option<Dynamic<i64>> {
    let path_key = format!("{key}Path");
    let literal = obj.get(key);
    let path = obj.get(&path_key);
    if literal.is_some() && path.is_some() {
        parser.schema(
            format!("The fields '{key}' and '{path_key}' are mutually exclusive"),
            location,
        );
        return None;
    }
    if let Some(v) = literal {
        if let Some(s) = v.as_str()
            && expression_text(s).is_some()
        {
            if language == QueryLanguage::JsonPath {
                parser.schema(
                    format!("The value for the field '{key}' must be an INTEGER"),
                    &format!("{location}/{key}"),
                );
                return None;
            }
            return jsonata(parser, v, key, location).map(Dynamic::Jsonata);
        }
        return match v.as_i64() {
            Some(n) if (min..=max).contains(&n) => Some(Dynamic::Literal(n)),
            _ => {
                parser.schema(
                    format!("The value for the field '{key}' must be an INTEGER between {min} and {max}"),
                    &format!("{location}/{key}"),
                );
                None
            }
        };
    }
    if let Some(v) = path {
        return reference_path_as_json_path(parser, v, &path_key, location).map(Dynamic::Path);
    }
    None
}

/// `…Path` fields that AWS parses as reference paths but reads like any path.
pub(crate) fn reference_path_as_json_path(
    parser: &mut Parser,
    value: &Value,
    key: &str,
    location: &str,
) -> Option<JsonPath> {
    json_path(parser, value, key, location)
}

/// A string field that JSONPath states give literally (`Key`) or by path
/// (`KeyPath`, which may also be an intrinsic function for `Error`/`Cause`),
/// and JSONata states literally or as an expression.
pub(crate) fn dynamic_string(
    parser: &mut Parser,
    obj: &Map<String, Value>,
    key: &str,
    location: &str,
    language: QueryLanguage,
) -> Option<Dynamic<String>> {
    let path_key = format!("{key}Path");
    if obj.contains_key(key) && obj.contains_key(&path_key) {
        parser.schema(
            format!("The fields '{key}' and '{path_key}' are mutually exclusive"),
            location,
        );
        return None;
    }
    if let Some(v) = obj.get(key) {
        let Some(s) = v.as_str() else {
            parser.schema(
                format!("The value for the field '{key}' must be a STRING"),
                &format!("{location}/{key}"),
            );
            return None;
        };
        if language == QueryLanguage::Jsonata && expression_text(s).is_some() {
            return jsonata(parser, v, key, location).map(Dynamic::Jsonata);
        }
        return Some(Dynamic::Literal(s.to_owned()));
    }
    let v = obj.get(&path_key)?;
    let text = v.as_str().unwrap_or_default();
    if let Ok(path) = JsonPath::parse(text) {
        return Some(Dynamic::Path(path));
    }
    if let Ok(call) = IntrinsicCall::parse(text) {
        return Some(Dynamic::Intrinsic(call));
    }
    parser.schema(
        format!("The value for the field '{path_key}' must be a valid JSONPath or a valid intrinsic function call"),
        &format!("{location}/{path_key}"),
    );
    None
}
