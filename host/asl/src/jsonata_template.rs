//! JSON values whose strings may hold JSONata expressions (`{% … %}`): the
//! `Arguments`, `Output`, `Assign`, `Items`… fields of JSONata states.

use serde_json::{Map, Value};
use stepyard_jsonata::{Env, Expression};

/// A compiled template. Parts without expressions are kept as ready values so
/// evaluating them is a clone.
#[derive(Debug)]
pub enum JsonataTemplate {
    /// A value with no expression anywhere inside it, returned as it is.
    Literal(Value),
    /// A string that is wholly one `{% … %}` expression; its result replaces it.
    Expression(Box<Expr>),
    /// An object with an expression somewhere below it: each member compiled.
    Object(Vec<(String, JsonataTemplate)>),
    /// An array with an expression somewhere below it: each element compiled.
    Array(Vec<JsonataTemplate>),
}

/// One `{% … %}` expression and the text between the delimiters.
#[derive(Debug)]
pub struct Expr {
    /// The source between `{%` and `%}`, trimmed; AWS quotes it in error causes.
    pub text: String,
    /// `text` compiled, ready to evaluate.
    pub expression: Expression,
}

/// A template that does not compile: where, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    /// Location below the field (`/a/0`), empty for the field itself.
    pub pointer: String,
    /// AWS's schema message (`The JSONata expression '…' is invalid: …`).
    pub message: String,
}

/// Why an evaluation failed, with enough to write AWS's cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryFailure {
    /// jsonata raised an error.
    Threw {
        /// The expression as written between `{%` and `%}`.
        expression: String,
        /// The field it was written in, with the location below it (`Output/a/0`).
        field: String,
        /// jsonata's own message for the error.
        error: String,
    },
    /// The expression produced nothing.
    Undefined {
        /// The expression as written between `{%` and `%}`.
        expression: String,
        /// The field it was written in, with the location below it (`Output/a/0`).
        field: String,
    },
    /// The expression produced a function or another non-JSON value.
    Unsupported {
        /// The expression as written between `{%` and `%}`.
        expression: String,
        /// The field it was written in, with the location below it (`Output/a/0`).
        field: String,
    },
}

impl QueryFailure {
    /// The field the failing expression was written in, with the location
    /// below it (`Output/a/0`): where AWS says the evaluation failed.
    pub fn field(&self) -> &str {
        match self {
            QueryFailure::Threw { field, .. }
            | QueryFailure::Undefined { field, .. }
            | QueryFailure::Unsupported { field, .. } => field,
        }
    }

    /// AWS's `States.QueryEvaluationError` cause text (without the
    /// "An error occurred while executing the state…" prefix).
    pub fn describe(&self) -> String {
        match self {
            QueryFailure::Threw {
                expression,
                field,
                error,
            } => format!(
                "The JSONata expression '{expression}' specified for the field '{field}' threw an error during evaluation. {error}"
            ),
            QueryFailure::Undefined { expression, field } => {
                format!(
                    "The JSONata expression '{expression}' specified for the field '{field}' returned nothing (undefined)."
                )
            }
            QueryFailure::Unsupported { expression, field } => {
                format!(
                    "The JSONata expression '{expression}' specified for the field '{field}' returned an unsupported result type."
                )
            }
        }
    }
}

/// The text inside `{% … %}`, when `s` is such an expression. The
/// delimiters must open and close the string: AWS keeps `" {% x %} "` as a
/// literal.
pub(crate) fn expression_text(s: &str) -> Option<&str> {
    let inner = s.strip_prefix("{%")?.strip_suffix("%}")?;
    Some(inner.trim())
}

impl JsonataTemplate {
    /// Compiles `value`, parsing every `{% … %}` string.
    pub fn compile(value: &Value) -> Result<JsonataTemplate, Vec<TemplateError>> {
        let mut errors = Vec::new();
        let t = compile_at(value, String::new(), &mut errors);
        if errors.is_empty() { Ok(t) } else { Err(errors) }
    }

    /// True when the template holds no expression at all.
    #[cfg(test)]
    pub(crate) fn is_literal(&self) -> bool {
        matches!(self, JsonataTemplate::Literal(_))
    }

    /// Evaluates the template; `field` names it in errors (`Output`, `Arguments`...).
    pub fn evaluate(&self, input: &Value, env: &Env<'_>, field: &str) -> Result<Value, QueryFailure> {
        match self {
            JsonataTemplate::Literal(v) => Ok(v.clone()),
            JsonataTemplate::Expression(e) => evaluate_expr(e, input, env, field),
            JsonataTemplate::Object(fields) => {
                let mut out = Map::with_capacity(fields.len());
                for (key, t) in fields {
                    let sub = format!("{field}/{key}");
                    out.insert(key.clone(), t.evaluate(input, env, &sub)?);
                }
                Ok(Value::Object(out))
            }
            JsonataTemplate::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, t) in items.iter().enumerate() {
                    out.push(t.evaluate(input, env, &format!("{field}/{i}"))?);
                }
                Ok(Value::Array(out))
            }
        }
    }

    /// Every expression text, for validation.
    pub fn expressions(&self) -> Vec<&Expr> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect<'a>(&'a self, out: &mut Vec<&'a Expr>) {
        match self {
            JsonataTemplate::Literal(_) => {}
            JsonataTemplate::Expression(e) => out.push(e),
            JsonataTemplate::Object(f) => f.iter().for_each(|(_, t)| t.collect(out)),
            JsonataTemplate::Array(a) => a.iter().for_each(|t| t.collect(out)),
        }
    }
}

fn evaluate_expr(e: &Expr, input: &Value, env: &Env<'_>, field: &str) -> Result<Value, QueryFailure> {
    match e.expression.evaluate(Some(input), env) {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Err(QueryFailure::Undefined {
            expression: e.text.clone(),
            field: field.to_owned(),
        }),
        Err(err) if err.kind() == stepyard_jsonata::ErrorKind::UnsupportedResult => Err(QueryFailure::Unsupported {
            expression: e.text.clone(),
            field: field.to_owned(),
        }),
        Err(err) => Err(QueryFailure::Threw {
            expression: e.text.clone(),
            field: field.to_owned(),
            error: err.to_string(),
        }),
    }
}

fn compile_at(value: &Value, pointer: String, errors: &mut Vec<TemplateError>) -> JsonataTemplate {
    let compiled = match value {
        Value::String(s) => match expression_text(s) {
            Some(text) => match Expression::parse(text) {
                Ok(expression) => JsonataTemplate::Expression(Box::new(Expr {
                    text: text.to_owned(),
                    expression,
                })),
                Err(e) => {
                    errors.push(TemplateError {
                        pointer,
                        message: format!("The JSONata expression '{text}' is invalid: {e}"),
                    });
                    JsonataTemplate::Literal(Value::Null)
                }
            },
            None => JsonataTemplate::Literal(value.clone()),
        },
        Value::Object(map) => JsonataTemplate::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), compile_at(v, format!("{pointer}/{k}"), errors)))
                .collect(),
        ),
        Value::Array(items) => JsonataTemplate::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| compile_at(v, format!("{pointer}/{i}"), errors))
                .collect(),
        ),
        other => JsonataTemplate::Literal(other.clone()),
    };
    // Fold expression-free containers back into one literal, so evaluating
    // them is a single clone.
    match compiled {
        JsonataTemplate::Object(_) | JsonataTemplate::Array(_) if compiled.expressions().is_empty() => {
            JsonataTemplate::Literal(value.clone())
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn expression_text_needs_both_delimiters() {
        assert_eq!(expression_text("{%  $x %}"), Some("$x"));
        assert_eq!(expression_text(" {% $x %} "), None);
        assert_eq!(expression_text("{% $x"), None);
        assert_eq!(expression_text("plain"), None);
    }

    #[test]
    fn expression_free_templates_fold_to_one_literal() {
        let t = JsonataTemplate::compile(&json!({"a": [1, {"b": "c"}]})).unwrap();
        assert!(t.is_literal());
    }

    #[test]
    fn failures_describe_themselves_as_aws_does() {
        let f = QueryFailure::Undefined {
            expression: "$x".into(),
            field: "Output/error".into(),
        };
        assert_eq!(
            f.describe(),
            "The JSONata expression '$x' specified for the field 'Output/error' returned nothing (undefined)."
        );
    }
}
