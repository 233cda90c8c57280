//! The intrinsic function grammar: `States.Name(arg, ...)` where an argument is
//! a single-quoted string, a number, `true`, `false`, `null`, a path or a
//! nested call.

use super::IntrinsicSyntaxError;
use crate::jsonpath::JsonPath;
use serde_json::Value;

/// AWS documents that up to 10 intrinsic functions can be nested in a field.
pub(crate) const MAX_NESTING: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Func {
    Format,
    StringToJson,
    JsonToString,
    Array,
    ArrayPartition,
    ArrayContains,
    ArrayRange,
    ArrayGetItem,
    ArrayLength,
    ArrayUnique,
    Base64Encode,
    Base64Decode,
    Hash,
    JsonMerge,
    MathRandom,
    MathAdd,
    StringSplit,
    Uuid,
}

impl Func {
    /// Every intrinsic with its name and the argument counts it accepts.
    const ALL: [(Func, &'static str, usize, usize); 18] = [
        (Func::Format, "States.Format", 1, usize::MAX),
        (Func::StringToJson, "States.StringToJson", 1, 1),
        (Func::JsonToString, "States.JsonToString", 1, 1),
        (Func::Array, "States.Array", 0, usize::MAX),
        (Func::ArrayPartition, "States.ArrayPartition", 2, 2),
        (Func::ArrayContains, "States.ArrayContains", 2, 2),
        (Func::ArrayRange, "States.ArrayRange", 3, 3),
        (Func::ArrayGetItem, "States.ArrayGetItem", 2, 2),
        (Func::ArrayLength, "States.ArrayLength", 1, 1),
        (Func::ArrayUnique, "States.ArrayUnique", 1, 1),
        (Func::Base64Encode, "States.Base64Encode", 1, 1),
        (Func::Base64Decode, "States.Base64Decode", 1, 1),
        (Func::Hash, "States.Hash", 2, 2),
        (Func::JsonMerge, "States.JsonMerge", 3, 3),
        (Func::MathRandom, "States.MathRandom", 2, 3),
        (Func::MathAdd, "States.MathAdd", 2, 2),
        (Func::StringSplit, "States.StringSplit", 2, 2),
        (Func::Uuid, "States.UUID", 0, 0),
    ];

    fn lookup(name: &str) -> Option<(Func, usize, usize)> {
        Func::ALL
            .iter()
            .find(|(_, n, _, _)| *n == name)
            .map(|&(f, _, min, max)| (f, min, max))
    }

    pub(crate) fn name(self) -> &'static str {
        Func::ALL
            .iter()
            .find(|(f, ..)| *f == self)
            .map_or("States.?", |(_, n, ..)| n)
    }
}

/// A piece of a `States.Format` template: literal text or a `{}` slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    Text(String),
    Slot,
}

#[derive(Debug, Clone)]
pub(crate) enum Arg {
    /// A number, `true`, `false` or `null`.
    Literal(Value),
    /// A quoted string: its value, and its reading as a Format template
    /// (escaped braces are text, not slots).
    Str {
        value: Value,
        template: Vec<Piece>,
    },
    Path(JsonPath),
    Call(Box<Call>),
}

#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub func: Func,
    pub args: Vec<Arg>,
}

pub(crate) fn parse(src: &str) -> Result<Call, IntrinsicSyntaxError> {
    let chars: Vec<char> = src.chars().collect();
    let mut parser = Parser {
        src,
        chars: &chars,
        pos: 0,
    };
    let call = parser.call(1)?;
    if parser.pos != chars.len() {
        return Err(parser.error(format!("unexpected text after the call at position {}", parser.pos)));
    }
    Ok(call)
}

struct Parser<'s> {
    src: &'s str,
    chars: &'s [char],
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, message: String) -> IntrinsicSyntaxError {
        IntrinsicSyntaxError {
            src: self.src.to_owned(),
            message,
        }
    }

    fn current(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while self.current().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn call(&mut self, depth: usize) -> Result<Call, IntrinsicSyntaxError> {
        if depth > MAX_NESTING {
            return Err(self.error(format!("intrinsic functions can be nested at most {MAX_NESTING} deep")));
        }
        let start = self.pos;
        while self
            .current()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
        {
            self.pos += 1;
        }
        let name: String = self.chars[start..self.pos].iter().collect();
        let Some((func, min, max)) = Func::lookup(&name) else {
            return Err(self.error(format!("'{name}' is not an intrinsic function")));
        };
        if self.current() != Some('(') {
            return Err(self.error(format!("expected '(' after {name}")));
        }
        self.pos += 1;
        let mut args = Vec::new();
        self.skip_whitespace();
        if self.current() == Some(')') {
            self.pos += 1;
        } else {
            loop {
                self.skip_whitespace();
                args.push(self.arg(depth)?);
                self.skip_whitespace();
                match self.current() {
                    Some(',') => self.pos += 1,
                    Some(')') => {
                        self.pos += 1;
                        break;
                    }
                    _ => {
                        return Err(self.error(format!("expected ',' or ')' at position {}", self.pos)));
                    }
                }
            }
        }
        if args.len() < min || args.len() > max {
            let expected = match (min, max) {
                (min, max) if min == max => format!("{min}"),
                (min, usize::MAX) => format!("at least {min}"),
                (min, max) => format!("{min} to {max}"),
            };
            return Err(self.error(format!("{name} takes {expected} argument(s), not {}", args.len())));
        }
        Ok(Call { func, args })
    }

    fn arg(&mut self, depth: usize) -> Result<Arg, IntrinsicSyntaxError> {
        match self.current() {
            Some('\'') => self.string(),
            Some('$') => self.path(),
            Some(c) if c == '-' || c.is_ascii_digit() => self.number(),
            Some(c) if c.is_ascii_alphabetic() => {
                let start = self.pos;
                while self
                    .current()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
                {
                    self.pos += 1;
                }
                let word: String = self.chars[start..self.pos].iter().collect();
                match word.as_str() {
                    "true" => Ok(Arg::Literal(Value::Bool(true))),
                    "false" => Ok(Arg::Literal(Value::Bool(false))),
                    "null" => Ok(Arg::Literal(Value::Null)),
                    _ => {
                        self.pos = start;
                        Ok(Arg::Call(Box::new(self.call(depth + 1)?)))
                    }
                }
            }
            _ => Err(self.error(format!("invalid argument at position {}", self.pos))),
        }
    }

    /// `'...'` with the escapes `\'`, `\{`, `\}` and `\\` only.
    fn string(&mut self) -> Result<Arg, IntrinsicSyntaxError> {
        self.pos += 1;
        let mut value = String::new();
        let mut template = Vec::new();
        let mut text = String::new();
        loop {
            let Some(c) = self.current() else {
                return Err(self.error("unterminated string literal".to_owned()));
            };
            self.pos += 1;
            match c {
                '\'' => break,
                '\\' => {
                    let escaped = self.current();
                    match escaped {
                        Some(e @ ('\'' | '{' | '}' | '\\')) => {
                            self.pos += 1;
                            value.push(e);
                            text.push(e);
                        }
                        _ => {
                            return Err(self.error(format!(
                                "invalid escape sequence '\\{}' in string literal",
                                escaped.map(String::from).unwrap_or_default()
                            )));
                        }
                    }
                }
                '{' if self.current() == Some('}') => {
                    self.pos += 1;
                    value.push_str("{}");
                    if !text.is_empty() {
                        template.push(Piece::Text(std::mem::take(&mut text)));
                    }
                    template.push(Piece::Slot);
                }
                c => {
                    value.push(c);
                    text.push(c);
                }
            }
        }
        if !text.is_empty() {
            template.push(Piece::Text(text));
        }
        Ok(Arg::Str {
            value: Value::String(value),
            template,
        })
    }

    fn number(&mut self) -> Result<Arg, IntrinsicSyntaxError> {
        let start = self.pos;
        while self
            .current()
            .is_some_and(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
        {
            self.pos += 1;
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        match serde_json::from_str::<serde_json::Number>(&text) {
            Ok(number) => Ok(Arg::Literal(Value::Number(number))),
            Err(_) => Err(self.error(format!("invalid number '{text}'"))),
        }
    }

    /// A path runs to the next `,` or `)` outside brackets, parentheses and quotes.
    fn path(&mut self) -> Result<Arg, IntrinsicSyntaxError> {
        let start = self.pos;
        let mut depth = 0usize;
        let mut quote: Option<char> = None;
        while let Some(c) = self.current() {
            match quote {
                Some(q) => {
                    if c == '\\' {
                        self.pos += 1;
                    } else if c == q {
                        quote = None;
                    }
                }
                None => match c {
                    '\'' | '"' if depth > 0 => quote = Some(c),
                    '[' | '(' => depth += 1,
                    ']' | ')' if depth > 0 => depth -= 1,
                    ',' | ')' => break,
                    _ => {}
                },
            }
            self.pos += 1;
        }
        let text: String = self.chars[start..self.pos.min(self.chars.len())].iter().collect();
        let text = text.trim_end();
        JsonPath::parse(text).map(Arg::Path).map_err(|e| self.error(e.message))
    }
}

/// Reads a template that came from data (a path argument): `{}` is a slot and
/// the intrinsic escapes `\{`, `\}`, `\'`, `\\` stand for their character.
pub(crate) fn template_of(text: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if matches!(chars.peek(), Some('{' | '}' | '\'' | '\\')) => {
                current.push(chars.next().unwrap_or('\\'));
            }
            '{' if chars.peek() == Some(&'}') => {
                chars.next();
                if !current.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut current)));
                }
                pieces.push(Piece::Slot);
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        pieces.push(Piece::Text(current));
    }
    pieces
}
