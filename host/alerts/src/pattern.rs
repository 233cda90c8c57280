//! EventBridge event patterns: which events a rule takes.
//!
//! A pattern is a JSON object shaped like the events it matches. Each field
//! holds either an object (the event's field must be an object matching
//! it) or an array of allowed values: literals (`"FAILED"`, `42`, `true`,
//! `null`) and content filters (`{"prefix": …}`, `{"suffix": …}`,
//! `{"anything-but": …}`, `{"exists": bool}`, `{"equals-ignore-case": …}`,
//! `{"wildcard": …}`, `{"numeric": [">", 0, "<=", 5]}`). A field matches
//! when its value (or, for an array, any of its elements) matches one of
//! the allowed values; every field of the pattern must match.

use serde_json::{Map, Value};

/// A pattern, checked and compiled when the rules file is read.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    fields: Vec<(String, Node)>,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Object(Pattern),
    Any(Vec<Matcher>),
}

#[derive(Debug, Clone, PartialEq)]
enum Matcher {
    Literal(Value),
    Prefix(String, bool),
    Suffix(String, bool),
    EqualsIgnoreCase(String),
    Wildcard(String),
    Exists(bool),
    AnythingBut(Vec<Matcher>),
    Numeric(Vec<(String, f64)>),
}

impl Pattern {
    /// Reads a pattern; `Err((path below `at`, message))` for the first
    /// part that is not one.
    pub fn parse(value: &Value, at: &str) -> Result<Pattern, (String, String)> {
        let Value::Object(map) = value else {
            return Err((at.to_owned(), "must be an object".into()));
        };
        parse_object(map, at)
    }

    /// Whether `event` matches.
    pub fn matches(&self, event: &Value) -> bool {
        self.fields.iter().all(|(name, node)| {
            let field = event.get(name);
            match node {
                Node::Object(inner) => field.is_some_and(|f| f.is_object() && inner.matches(f)),
                Node::Any(matchers) => matchers.iter().any(|m| m.matches_field(field)),
            }
        })
    }
}

fn parse_object(map: &Map<String, Value>, at: &str) -> Result<Pattern, (String, String)> {
    if map.is_empty() {
        return Err((at.to_owned(), "must not be empty".into()));
    }
    let mut fields = Vec::new();
    for (name, value) in map {
        let path = format!("{at}.{name}");
        let node = match value {
            Value::Object(inner) => Node::Object(parse_object(inner, &path)?),
            Value::Array(items) => {
                if items.is_empty() {
                    return Err((path, "must list at least one value".into()));
                }
                let mut matchers = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    matchers.push(parse_matcher(item, &format!("{path}[{i}]"))?);
                }
                Node::Any(matchers)
            }
            _ => {
                return Err((
                    path,
                    "must be an array of allowed values (e.g. [\"FAILED\"]) or an object".into(),
                ));
            }
        };
        fields.push((name.clone(), node));
    }
    Ok(Pattern { fields })
}

fn parse_matcher(item: &Value, at: &str) -> Result<Matcher, (String, String)> {
    let Value::Object(map) = item else {
        if item.is_array() {
            return Err((at.to_owned(), "a value may not be an array".into()));
        }
        return Ok(Matcher::Literal(item.clone()));
    };
    let Some((name, arg)) = map.iter().next().filter(|_| map.len() == 1) else {
        return Err((at.to_owned(), "a content filter has exactly one field".into()));
    };
    let path = format!("{at}.{name}");
    let text = |v: &Value| -> Result<String, (String, String)> {
        v.as_str()
            .map(str::to_owned)
            .ok_or_else(|| (path.clone(), "must be a string".into()))
    };
    // `{"prefix": {"equals-ignore-case": "x"}}` compares without case.
    let text_or_ignore_case = |v: &Value| -> Result<(String, bool), (String, String)> {
        match v.get("equals-ignore-case") {
            Some(inner) => Ok((text(inner)?.to_lowercase(), true)),
            None => Ok((text(v)?, false)),
        }
    };
    Ok(match name.as_str() {
        "prefix" => {
            let (s, ci) = text_or_ignore_case(arg)?;
            Matcher::Prefix(s, ci)
        }
        "suffix" => {
            let (s, ci) = text_or_ignore_case(arg)?;
            Matcher::Suffix(s, ci)
        }
        "equals-ignore-case" => Matcher::EqualsIgnoreCase(text(arg)?.to_lowercase()),
        "wildcard" => Matcher::Wildcard(text(arg)?),
        "exists" => Matcher::Exists(
            arg.as_bool()
                .ok_or_else(|| (path.clone(), "must be true or false".into()))?,
        ),
        "anything-but" => {
            let inner = match arg {
                Value::Array(items) => items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| parse_matcher(v, &format!("{path}[{i}]")))
                    .collect::<Result<Vec<_>, _>>()?,
                other => vec![parse_matcher(other, &path)?],
            };
            Matcher::AnythingBut(inner)
        }
        "numeric" => {
            let items = arg
                .as_array()
                .filter(|a| !a.is_empty() && a.len() % 2 == 0)
                .ok_or_else(|| (path.clone(), "must be pairs of an operator and a number".into()))?;
            let mut checks = Vec::new();
            for pair in items.chunks(2) {
                let op = pair[0].as_str().filter(|op| ["<", "<=", "=", ">=", ">"].contains(op));
                let (Some(op), Some(n)) = (op, pair[1].as_f64()) else {
                    return Err((
                        path,
                        "must be pairs of an operator (<, <=, =, >=, >) and a number".into(),
                    ));
                };
                checks.push((op.to_owned(), n));
            }
            Matcher::Numeric(checks)
        }
        other => {
            return Err((
                path,
                format!(
                    "unknown content filter '{other}' (known: prefix, suffix, anything-but, exists, \
                     equals-ignore-case, wildcard, numeric)"
                ),
            ));
        }
    })
}

impl Matcher {
    /// Whether a field (absent: `None`) matches.
    fn matches_field(&self, field: Option<&Value>) -> bool {
        match (self, field) {
            (Matcher::Exists(wanted), f) => *wanted == f.is_some(),
            (_, None) => false,
            (_, Some(Value::Array(items))) => items.iter().any(|v| self.matches_value(v)),
            (_, Some(v)) => self.matches_value(v),
        }
    }

    fn matches_value(&self, value: &Value) -> bool {
        let text = value.as_str();
        match self {
            Matcher::Literal(Value::Number(n)) => value.as_f64().is_some_and(|v| Some(v) == n.as_f64()),
            Matcher::Literal(literal) => literal == value,
            Matcher::Prefix(p, false) => text.is_some_and(|t| t.starts_with(p.as_str())),
            Matcher::Prefix(p, true) => text.is_some_and(|t| t.to_lowercase().starts_with(p.as_str())),
            Matcher::Suffix(s, false) => text.is_some_and(|t| t.ends_with(s.as_str())),
            Matcher::Suffix(s, true) => text.is_some_and(|t| t.to_lowercase().ends_with(s.as_str())),
            Matcher::EqualsIgnoreCase(s) => text.is_some_and(|t| t.to_lowercase() == *s),
            Matcher::Wildcard(w) => text.is_some_and(|t| wildcard(w.as_bytes(), t.as_bytes())),
            Matcher::Exists(wanted) => *wanted,
            Matcher::AnythingBut(not) => !not.iter().any(|m| m.matches_value(value)),
            Matcher::Numeric(checks) => value.as_f64().is_some_and(|v| {
                checks.iter().all(|(op, n)| match op.as_str() {
                    "<" => v < *n,
                    "<=" => v <= *n,
                    "=" => v == *n,
                    ">=" => v >= *n,
                    _ => v > *n,
                })
            }),
        }
    }
}

/// `*` matches any run of characters (iteratively: no recursion on user input).
fn wildcard(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::Pattern;

    fn event(status: &str) -> serde_json::Value {
        json!({
            "source": "aws.states",
            "detail-type": "Step Functions Execution Status Change",
            "detail": {"status": status, "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:orders",
                       "output": null, "tags": ["a", "b"], "count": 3}
        })
    }

    fn pattern(p: serde_json::Value) -> Pattern {
        Pattern::parse(&p, "pattern").unwrap()
    }

    #[test]
    fn arrays_allow_any_of_their_values_and_objects_nest() {
        let p = pattern(json!({
            "source": ["aws.states"],
            "detail-type": ["Step Functions Execution Status Change"],
            "detail": {"status": ["FAILED", "TIMED_OUT", "ABORTED"]}
        }));
        assert!(p.matches(&event("FAILED")));
        assert!(p.matches(&event("ABORTED")));
        assert!(!p.matches(&event("SUCCEEDED")));
        assert!(
            !p.matches(&json!({"source": "aws.states"})),
            "a missing field never matches"
        );
        assert!(!pattern(json!({"source": ["aws.cloudwatch"]})).matches(&event("FAILED")));
    }

    #[test]
    fn content_filters() {
        let arn_prefix = pattern(
            json!({"detail": {"stateMachineArn": [{"prefix": "arn:aws:states:us-east-1:123456789012:stateMachine:ord"}]}}),
        );
        assert!(arn_prefix.matches(&event("FAILED")));
        assert!(
            !pattern(json!({"detail": {"stateMachineArn": [{"prefix": "arn:aws:states:eu"}]}}))
                .matches(&event("FAILED"))
        );
        assert!(pattern(json!({"detail": {"stateMachineArn": [{"suffix": ":orders"}]}})).matches(&event("X")));
        assert!(
            pattern(json!({"detail": {"status": [{"anything-but": ["SUCCEEDED", "RUNNING"]}]}}))
                .matches(&event("FAILED"))
        );
        assert!(!pattern(json!({"detail": {"status": [{"anything-but": "FAILED"}]}})).matches(&event("FAILED")));
        assert!(pattern(json!({"detail": {"error": [{"exists": false}]}})).matches(&event("FAILED")));
        assert!(!pattern(json!({"detail": {"status": [{"exists": false}]}})).matches(&event("FAILED")));
        assert!(pattern(json!({"detail": {"output": [null]}})).matches(&event("FAILED")));
        assert!(pattern(json!({"detail": {"status": [{"equals-ignore-case": "failed"}]}})).matches(&event("FAILED")));
        assert!(
            pattern(json!({"detail": {"status": [{"prefix": {"equals-ignore-case": "fai"}}]}}))
                .matches(&event("FAILED"))
        );
        assert!(
            pattern(json!({"detail": {"stateMachineArn": [{"wildcard": "arn:*:stateMachine:*"}]}}))
                .matches(&event("X"))
        );
        assert!(
            pattern(json!({"detail": {"tags": ["b"]}})).matches(&event("X")),
            "any element of an array"
        );
        assert!(pattern(json!({"detail": {"count": [{"numeric": [">", 0, "<=", 3]}]}})).matches(&event("X")));
        assert!(pattern(json!({"detail": {"count": [3.0]}})).matches(&event("X")));
    }

    #[test]
    fn malformed_patterns_are_refused_with_their_place() {
        let err = |p: serde_json::Value| Pattern::parse(&p, "rules[0].pattern").unwrap_err();
        assert_eq!(
            err(json!({"detail": {"status": "FAILED"}})).0,
            "rules[0].pattern.detail.status"
        );
        assert_eq!(err(json!({"source": []})).0, "rules[0].pattern.source");
        let (at, message) = err(json!({"source": [{"prefixx": "aws"}]}));
        assert_eq!(at, "rules[0].pattern.source[0].prefixx");
        assert!(message.contains("unknown content filter"), "{message}");
        assert_eq!(
            err(json!({"n": [{"numeric": [">"]}]})).0,
            "rules[0].pattern.n[0].numeric"
        );
        assert_eq!(err(json!([])).0, "rules[0].pattern");
    }
}
