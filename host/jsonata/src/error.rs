//! Errors, with jsonata-js 2.0.6's codes and message templates.

use std::fmt;

/// Code of the error raised when the result of an evaluation cannot be represented as JSON
/// (a function, a regex, ...). jsonata-js has no code for this (it returns the function
/// object); AWS reports it as "returned an unsupported result type", so callers detect it by
/// this code or by [`Error::kind`] == [`ErrorKind::UnsupportedResult`].
pub const UNSUPPORTED_RESULT: &str = "SY0001";

/// Code of the error raised when an expression would build a string longer than JavaScript
/// allows (2^29 - 24 UTF-16 units in V8, where jsonata-js throws a RangeError). Bounds memory
/// on untrusted expressions such as `$pad('', 1e12)`.
pub const LIMIT_EXCEEDED: &str = "U1002";

/// Broad class of an error, for callers that react differently to each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The expression text does not parse (codes `S0xxx`).
    Syntax,
    /// A type error while evaluating (codes `T0xxx`, `T1xxx`, `T2xxx`).
    Type,
    /// A dynamic error while evaluating (codes `D1xxx`..`D3xxx`), including `$error()`.
    Dynamic,
    /// Resource limits: stack depth (`U1001`), string length ([`LIMIT_EXCEEDED`]).
    Limit,
    /// The result is a function or otherwise not representable as JSON ([`UNSUPPORTED_RESULT`]).
    UnsupportedResult,
}

/// An error from parsing or evaluating a JSONata expression.
///
/// `Display` renders `"{code}: {message}"` exactly as jsonata-js's message is prefixed by
/// AWS Step Functions, e.g. `T1006: Attempted to invoke a non-function`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct Error {
    /// The jsonata-js error code, e.g. `"T1006"`, `"D3001"`, `"S0201"`.
    pub code: String,
    /// The message with its `{{token}}`/`{{value}}` inserts filled in as jsonata-js does.
    pub message: String,
    /// Byte offset in the expression of the token the error was detected at, if known.
    /// (jsonata-js reports the character offset just past that token, so the numbers can
    /// differ slightly; codes and messages are what match.)
    pub position: Option<usize>,
    /// The token the error is attached to (jsonata-js's `err.token`), if any.
    pub token: Option<String>,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl Error {
    /// The class of this error, derived from its code.
    pub fn kind(&self) -> ErrorKind {
        if self.code == UNSUPPORTED_RESULT {
            return ErrorKind::UnsupportedResult;
        }
        match self.code.as_bytes().first() {
            Some(b'S') => ErrorKind::Syntax,
            Some(b'T') => ErrorKind::Type,
            Some(b'U') => ErrorKind::Limit,
            _ => ErrorKind::Dynamic,
        }
    }

    /// An error with a ready message (used by `$error`, `$assert` and the AWS functions).
    pub(crate) fn with_message(code: &str, message: impl Into<String>) -> Error {
        Error {
            code: code.to_string(),
            message: message.into(),
            position: None,
            token: None,
        }
    }

    pub(crate) fn at(mut self, pos: usize) -> Error {
        if self.position.is_none() {
            self.position = Some(pos);
        }
        self
    }
}

/// Builder for templated errors: inserts are JSON-stringified (`{{x}}`) or raw (`{{{x}}}`)
/// exactly as jsonata-js's `populateMessage` does.
#[derive(Default)]
pub(crate) struct Err {
    pub code: &'static str,
    pub token: Option<String>,
    pub value: Option<String>,
    pub value2: Option<String>,
    pub index: Option<usize>,
    pub type_: Option<String>,
    pub position: Option<usize>,
}

impl Err {
    pub(crate) fn new(code: &'static str) -> Err {
        Err {
            code,
            ..Default::default()
        }
    }
    pub(crate) fn token(mut self, t: impl Into<String>) -> Err {
        self.token = Some(t.into());
        self
    }
    /// `value` as its JSON text (already stringified by the caller).
    pub(crate) fn value_json(mut self, v: impl Into<String>) -> Err {
        self.value = Some(v.into());
        self
    }
    pub(crate) fn value_str(self, v: &str) -> Err {
        let s = serde_json::to_string(v).unwrap_or_default();
        self.value_json(s)
    }
    pub(crate) fn value2_json(mut self, v: impl Into<String>) -> Err {
        self.value2 = Some(v.into());
        self
    }
    pub(crate) fn index(mut self, i: usize) -> Err {
        self.index = Some(i);
        self
    }
    pub(crate) fn type_(mut self, t: &str) -> Err {
        self.type_ = Some(t.to_string());
        self
    }
    pub(crate) fn pos(mut self, p: usize) -> Err {
        self.position = Some(p);
        self
    }

    pub(crate) fn build(self) -> Error {
        let template = template(self.code);
        let mut out = String::with_capacity(template.len() + 16);
        let mut rest = template;
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let triple = rest[start..].starts_with("{{{");
            let open = if triple { 3 } else { 2 };
            let after = &rest[start + open..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                rest = "";
                break;
            };
            let name = &after[..end];
            let json = |s: &Option<String>| s.clone().unwrap_or_else(|| "undefined".into());
            let text = match name {
                "token" if triple => self.token.clone().unwrap_or_default(),
                "token" => self
                    .token
                    .as_ref()
                    .map(|t| serde_json::to_string(t).unwrap_or_default())
                    .unwrap_or_else(|| "undefined".into()),
                "value" => json(&self.value),
                "value2" => json(&self.value2),
                "index" => self.index.map(|i| i.to_string()).unwrap_or_else(|| "undefined".into()),
                "type" => self
                    .type_
                    .as_ref()
                    .map(|t| serde_json::to_string(t).unwrap_or_default())
                    .unwrap_or_else(|| "undefined".into()),
                _ => String::new(),
            };
            out.push_str(&text);
            rest = &after[(end + open).min(after.len())..];
        }
        out.push_str(rest);
        Error {
            code: self.code.to_string(),
            message: out,
            position: self.position,
            token: self.token,
        }
    }
}

impl From<Err> for Error {
    fn from(e: Err) -> Error {
        e.build()
    }
}

/// jsonata-js 2.0.6 `errorCodes`, plus U1001 (raised by its test harness and by AWS for
/// runaway recursion) and this crate's unsupported-result code.
fn template(code: &str) -> &'static str {
    match code {
        "S0101" => "String literal must be terminated by a matching quote",
        "S0102" => "Number out of range: {{token}}",
        "S0103" => "Unsupported escape sequence: \\{{token}}",
        "S0104" => "The escape sequence \\u must be followed by 4 hex digits",
        "S0105" => "Quoted property name must be terminated with a backquote (`)",
        "S0106" => "Comment has no closing tag",
        "S0201" => "Syntax error: {{token}}",
        "S0202" => "Expected {{value}}, got {{token}}",
        "S0203" => "Expected {{value}} before end of expression",
        "S0204" => "Unknown operator: {{token}}",
        "S0205" => "Unexpected token: {{token}}",
        "S0206" => "Unknown expression type: {{token}}",
        "S0207" => "Unexpected end of expression",
        "S0208" => "Parameter {{value}} of function definition must be a variable name (start with $)",
        "S0209" => "A predicate cannot follow a grouping expression in a step",
        "S0210" => "Each step can only have one grouping expression",
        "S0211" => "The symbol {{token}} cannot be used as a unary operator",
        "S0212" => "The left side of := must be a variable name (start with $)",
        "S0213" => "The literal value {{value}} cannot be used as a step within a path expression",
        "S0214" => "The right side of {{token}} must be a variable name (start with $)",
        "S0215" => "A context variable binding must precede any predicates on a step",
        "S0216" => "A context variable binding must precede the 'order-by' clause on a step",
        "S0217" => "The object representing the 'parent' cannot be derived from this expression",
        "S0301" => "Empty regular expressions are not allowed",
        "S0302" => "No terminating / in regular expression",
        "S0402" => "Choice groups containing parameterized types are not supported",
        "S0401" => "Type parameters can only be applied to functions and arrays",
        "S0500" => "Attempted to evaluate an expression containing syntax error(s)",
        "T0410" => "Argument {{index}} of function {{token}} does not match function signature",
        "T0411" => "Context value is not a compatible type with argument {{index}} of function {{token}}",
        "T0412" => "Argument {{index}} of function {{token}} must be an array of {{type}}",
        "D1001" => "Number out of range: {{value}}",
        "D1002" => "Cannot negate a non-numeric value: {{value}}",
        "T1003" => "Key in object structure must evaluate to a string; got: {{value}}",
        "D1004" => "Regular expression matches zero length string",
        "T1005" => "Attempted to invoke a non-function. Did you mean ${{{token}}}?",
        "T1006" => "Attempted to invoke a non-function",
        "T1007" => "Attempted to partially apply a non-function. Did you mean ${{{token}}}?",
        "T1008" => "Attempted to partially apply a non-function",
        "D1009" => "Multiple key definitions evaluate to same key: {{value}}",
        "T1010" => {
            "The matcher function argument passed to function {{token}} does not return the correct object structure"
        }
        "T2001" => "The left side of the {{token}} operator must evaluate to a number",
        "T2002" => "The right side of the {{token}} operator must evaluate to a number",
        "T2003" => "The left side of the range operator (..) must evaluate to an integer",
        "T2004" => "The right side of the range operator (..) must evaluate to an integer",
        "T2006" => "The right side of the function application operator ~> must be a function",
        "T2007" => "Type mismatch when comparing values {{value}} and {{value2}} in order-by clause",
        "T2008" => "The expressions within an order-by clause must evaluate to numeric or string values",
        "T2009" => {
            "The values {{value}} and {{value2}} either side of operator {{token}} must be of the same data type"
        }
        "T2010" => "The expressions either side of operator {{token}} must evaluate to numeric or string values",
        "T2011" => "The insert/update clause of the transform expression must evaluate to an object: {{value}}",
        "T2012" => {
            "The delete clause of the transform expression must evaluate to a string or array of strings: {{value}}"
        }
        "T2013" => {
            "The transform expression clones the input object using the $clone() function.  This has been overridden in the current scope by a non-function."
        }
        "D2014" => {
            "The size of the sequence allocated by the range operator (..) must not exceed 1e6.  Attempted to allocate {{value}}."
        }
        "D3001" => "Attempting to invoke string function on Infinity or NaN",
        "D3010" => "Second argument of replace function cannot be an empty string",
        "D3011" => "Fourth argument of replace function must evaluate to a positive number",
        "D3012" => "Attempted to replace a matched string with a non-string value",
        "D3020" => "Third argument of split function must evaluate to a positive number",
        "D3030" => "Unable to cast value to a number: {{value}}",
        "D3040" => "Third argument of match function must evaluate to a positive number",
        "D3050" => "The second argument of reduce function must be a function with at least two arguments",
        "D3060" => "The sqrt function cannot be applied to a negative number: {{value}}",
        "D3061" => {
            "The power function has resulted in a value that cannot be represented as a JSON number: base={{value}}, exponent={{value2}}"
        }
        "D3070" => {
            "The single argument form of the sort function can only be applied to an array of strings or an array of numbers.  Use the second argument to specify a comparison function"
        }
        "D3080" => "The picture string must only contain a maximum of two sub-pictures",
        "D3081" => "The sub-picture must not contain more than one instance of the 'decimal-separator' character",
        "D3082" => "The sub-picture must not contain more than one instance of the 'percent' character",
        "D3083" => "The sub-picture must not contain more than one instance of the 'per-mille' character",
        "D3084" => "The sub-picture must not contain both a 'percent' and a 'per-mille' character",
        "D3085" => {
            "The mantissa part of a sub-picture must contain at least one character that is either an 'optional digit character' or a member of the 'decimal digit family'"
        }
        "D3086" => {
            "The sub-picture must not contain a passive character that is preceded by an active character and that is followed by another active character"
        }
        "D3087" => {
            "The sub-picture must not contain a 'grouping-separator' character that appears adjacent to a 'decimal-separator' character"
        }
        "D3088" => "The sub-picture must not contain a 'grouping-separator' at the end of the integer part",
        "D3089" => "The sub-picture must not contain two adjacent instances of the 'grouping-separator' character",
        "D3090" => {
            "The integer part of the sub-picture must not contain a member of the 'decimal digit family' that is followed by an instance of the 'optional digit character'"
        }
        "D3091" => {
            "The fractional part of the sub-picture must not contain an instance of the 'optional digit character' that is followed by a member of the 'decimal digit family'"
        }
        "D3092" => {
            "A sub-picture that contains a 'percent' or 'per-mille' character must not contain a character treated as an 'exponent-separator'"
        }
        "D3093" => {
            "The exponent part of the sub-picture must comprise only of one or more characters that are members of the 'decimal digit family'"
        }
        "D3100" => "The radix of the formatBase function must be between 2 and 36.  It was given {{value}}",
        "D3110" => "The argument of the toMillis function must be an ISO 8601 formatted timestamp. Given {{value}}",
        "D3120" => "Syntax error in expression passed to function eval: {{value}}",
        "D3121" => "Dynamic error evaluating the expression passed to function eval: {{value}}",
        "D3130" => {
            "Formatting or parsing an integer as a sequence starting with {{value}} is not supported by this implementation"
        }
        "D3131" => "In a decimal digit pattern, all digits must be from the same decimal group",
        "D3132" => "Unknown component specifier {{value}} in date/time picture string",
        "D3133" => {
            "The 'name' modifier can only be applied to months and days in the date/time picture string, not {{value}}"
        }
        "D3134" => "The timezone integer format specifier cannot have more than four digits",
        "D3135" => "No matching closing bracket ']' in date/time picture string",
        "D3136" => "The date/time picture string is missing specifiers required to parse the timestamp",
        "D3138" => "The $single() function expected exactly 1 matching result.  Instead it matched more.",
        "D3139" => "The $single() function expected exactly 1 matching result.  Instead it matched 0.",
        "D3140" => "Malformed URL passed to ${{{token}}}(): {{value}}",
        "U1001" => {
            "Stack overflow error: Check for non-terminating recursive function.  Consider rewriting as tail-recursive."
        }
        UNSUPPORTED_RESULT => "The expression returned an unsupported result type (function)",
        LIMIT_EXCEEDED => "Invalid string length: the result exceeds the maximum string length",
        _ => "",
    }
}

pub(crate) type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_code_colon_message() {
        let e = Err::new("T1006").build();
        assert_eq!(e.to_string(), "T1006: Attempted to invoke a non-function");
    }

    #[test]
    fn double_brace_inserts_are_json_stringified() {
        let e = Err::new("T0410").index(2).token("substring").build();
        assert_eq!(
            e.message,
            "Argument 2 of function \"substring\" does not match function signature"
        );
        let e = Err::new("T1005").token("sum").build();
        assert_eq!(e.message, "Attempted to invoke a non-function. Did you mean $sum?");
    }

    #[test]
    fn kind_follows_code() {
        assert_eq!(Err::new("S0201").build().kind(), ErrorKind::Syntax);
        assert_eq!(Err::new("U1001").build().kind(), ErrorKind::Limit);
        assert_eq!(
            Err::new(UNSUPPORTED_RESULT).build().kind(),
            ErrorKind::UnsupportedResult
        );
    }
}
