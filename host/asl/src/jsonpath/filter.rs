//! Filter expressions (`[?(@.price < 10 && @.tags)]`), following Jayway's
//! `FilterCompiler` and its evaluators.
//!
//! Grammar (Jayway):
//! ```text
//! LogicalOR   = LogicalAND { '||' LogicalAND }
//! LogicalAND  = Operand { '&&' Operand }
//! Operand     = '!' Operand | '(' LogicalOR ')' | Value [ RelOp Value ]
//! ```
//! A value with no operator is an existence test on a path (`@.x`, `!@.x`).
//! AWS documents that lexical operators (`in`, `subsetof`, ...) are not
//! supported, so only the symbolic ones are accepted.

use super::compare::{self, Num, RelOp, Val, value_to_val};
use super::eval;
use super::parse::{self, Body};
use serde_json::Value;
use std::borrow::Cow;

/// Parentheses nested inside one filter.
const MAX_NESTING: usize = 64;

#[derive(Debug, Clone)]
pub(crate) struct Filter {
    expr: Expr,
}

#[derive(Debug, Clone)]
enum Expr {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Not(Box<Expr>),
    Exists { path: FilterPath, should_exist: bool },
    Compare { left: Operand, op: RelOp, right: Operand },
}

#[derive(Debug, Clone)]
enum Operand {
    Path(FilterPath),
    Str(String),
    Num(Num),
    Bool(bool),
    Null,
    Json(Value),
    Regex(regex::Regex),
}

/// A path inside a filter: `@...` is relative to the candidate, `$...` to the
/// document root.
#[derive(Debug, Clone)]
struct FilterPath {
    relative: bool,
    body: Body,
}

impl Filter {
    /// Whether `item` passes the filter; `root` is what `$` means inside it.
    /// AWS documents that `@` never matches scalar values, only objects.
    pub(crate) fn accept(&self, item: &Value, root: &Value) -> bool {
        item.is_object() && eval_expr(&self.expr, item, root)
    }
}

fn eval_expr(expr: &Expr, item: &Value, root: &Value) -> bool {
    match expr {
        Expr::Or(parts) => parts.iter().any(|p| eval_expr(p, item, root)),
        Expr::And(parts) => parts.iter().all(|p| eval_expr(p, item, root)),
        Expr::Not(inner) => !eval_expr(inner, item, root),
        Expr::Exists { path, should_exist } => exists(path, item, root) == *should_exist,
        Expr::Compare { left, op, right } => {
            let l = operand_value(left, item, root);
            let r = operand_value(right, item, root);
            compare::compare(&l, *op, &r)
        }
    }
}

fn start<'a>(path: &FilterPath, item: &'a Value, root: &'a Value) -> &'a Value {
    if path.relative { item } else { root }
}

fn exists(path: &FilterPath, item: &Value, root: &Value) -> bool {
    match eval::evaluate(&path.body, start(path, item, root), root) {
        Ok(results) => !results.is_empty(),
        Err(_) => false,
    }
}

fn operand_value<'a>(operand: &'a Operand, item: &'a Value, root: &'a Value) -> Val<'a> {
    match operand {
        Operand::Path(path) => {
            let Ok(mut results) = eval::evaluate(&path.body, start(path, item, root), root) else {
                return Val::Undefined;
            };
            if path.body.definite {
                match results.pop() {
                    Some(value) => value_to_val(value),
                    None => Val::Undefined,
                }
            } else {
                Val::Json(Cow::Owned(Value::Array(
                    results.into_iter().map(Cow::into_owned).collect(),
                )))
            }
        }
        Operand::Str(s) => Val::Str(Cow::Borrowed(s)),
        Operand::Num(n) => Val::Num(n.clone()),
        Operand::Bool(b) => Val::Bool(*b),
        Operand::Null => Val::Null,
        Operand::Json(v) => Val::Json(Cow::Borrowed(v)),
        Operand::Regex(r) => Val::Regex(r),
    }
}

/// Index of the `close` matching the `open` at `start`, skipping quoted
/// strings and `/regex/` literals (Jayway's `indexOfMatchingCloseChar`).
pub(crate) fn matching_close(chars: &[char], start: usize, open: char, close: char) -> Option<usize> {
    let mut depth = 1usize;
    let mut i = start + 1;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' || c == '"' || c == '/' {
            i = next_unescaped(chars, i, c)? + 1;
            continue;
        }
        if c == open {
            depth += 1;
        } else if c == close {
            depth -= 1;
            if depth == 0 {
                return Some(i);
            }
        }
        i += 1;
    }
    None
}

/// Index of the next `c` after `from` that is not escaped by a backslash.
fn next_unescaped(chars: &[char], from: usize, c: char) -> Option<usize> {
    let mut escaped = false;
    for (i, &ch) in chars.iter().enumerate().skip(from + 1) {
        if escaped {
            escaped = false;
        } else if ch == '\\' {
            escaped = true;
        } else if ch == c {
            return Some(i);
        }
    }
    None
}

/// Compiles the text of a filter from its opening to its closing parenthesis.
pub(crate) fn compile(chars: &[char], depth: usize) -> Result<Filter, String> {
    let mut compiler = Compiler {
        chars,
        pos: 0,
        depth,
        nesting: 0,
        last_path_negated: false,
    };
    let expr = compiler.logical_or()?;
    compiler.skip_blanks();
    if compiler.pos < chars.len() {
        let rest: String = chars[compiler.pos..].iter().collect();
        return Err(format!("Expected end of filter expression instead of: {rest}"));
    }
    Ok(Filter { expr })
}

struct Compiler<'c> {
    chars: &'c [char],
    pos: usize,
    depth: usize,
    nesting: usize,
    /// Whether the last path value read was written `!@...` (an absence test).
    last_path_negated: bool,
}

impl Compiler<'_> {
    fn current(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_blanks(&mut self) {
        while self.current() == Some(' ') {
            self.pos += 1;
        }
    }

    fn text(&self, from: usize, to: usize) -> String {
        self.chars[from..to].iter().collect()
    }

    /// Consumes `token` after optional blanks, if it is next.
    fn eat(&mut self, token: &str) -> bool {
        self.skip_blanks();
        let len = token.chars().count();
        if self.pos + len <= self.chars.len() && self.chars[self.pos..self.pos + len].iter().copied().eq(token.chars())
        {
            self.pos += len;
            true
        } else {
            false
        }
    }

    fn logical_or(&mut self) -> Result<Expr, String> {
        let mut parts = vec![self.logical_and()?];
        while self.eat("||") {
            parts.push(self.logical_and()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::Or(parts)
        })
    }

    fn logical_and(&mut self) -> Result<Expr, String> {
        let mut parts = vec![self.operand()?];
        while self.eat("&&") {
            parts.push(self.operand()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::And(parts)
        })
    }

    fn operand(&mut self) -> Result<Expr, String> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return Err("Filter expression is nested too deeply".to_owned());
        }
        let result = self.operand_inner();
        self.nesting -= 1;
        result
    }

    fn operand_inner(&mut self) -> Result<Expr, String> {
        self.skip_blanks();
        if self.current() == Some('!') {
            let save = self.pos;
            self.pos += 1;
            self.skip_blanks();
            if !matches!(self.current(), Some('$' | '@')) {
                return Ok(Expr::Not(Box::new(self.operand()?)));
            }
            self.pos = save;
        }
        if self.current() == Some('(') {
            self.pos += 1;
            let inner = self.logical_or()?;
            if !self.eat(")") {
                return Err(format!("Expected ')' at position {}", self.pos));
            }
            return Ok(inner);
        }
        self.relational()
    }

    fn relational(&mut self) -> Result<Expr, String> {
        let left = self.value()?;
        let save = self.pos;
        if let Some(op) = self.relational_operator()? {
            let right = self.value()?;
            return Ok(Expr::Compare { left, op, right });
        }
        self.pos = save;
        match left {
            Operand::Path(path) => Ok(Expr::Exists {
                path,
                should_exist: !self.last_path_negated,
            }),
            _ => Err("Expected path node".to_owned()),
        }
    }

    fn relational_operator(&mut self) -> Result<Option<RelOp>, String> {
        self.skip_blanks();
        let begin = self.pos;
        let is_op_char = |c: char| matches!(c, '<' | '>' | '=' | '~' | '!');
        match self.current() {
            Some(c) if is_op_char(c) => {
                while self.current().is_some_and(is_op_char) {
                    self.pos += 1;
                }
            }
            _ => {
                while self.current().is_some_and(|c| c != ' ' && c != ')') {
                    self.pos += 1;
                }
            }
        }
        let op = self.text(begin, self.pos);
        Ok(Some(match op.as_str() {
            "==" => RelOp::Eq,
            "!=" => RelOp::Ne,
            "===" => RelOp::TypeSafeEq,
            "!==" => RelOp::TypeSafeNe,
            "<" => RelOp::Lt,
            "<=" => RelOp::Le,
            ">" => RelOp::Gt,
            ">=" => RelOp::Ge,
            "=~" => RelOp::Regex,
            _ => {
                let word = op.to_ascii_uppercase();
                let lexical = [
                    "IN", "NIN", "CONTAINS", "ALL", "SIZE", "EMPTY", "SUBSETOF", "ANYOF", "NONEOF", "TYPE",
                ];
                if lexical.contains(&word.as_str()) {
                    return Err(format!("Filter operator {op} is not supported!"));
                }
                return Ok(None);
            }
        }))
    }

    fn value(&mut self) -> Result<Operand, String> {
        self.skip_blanks();
        match self.current() {
            Some('$' | '@') => {
                self.last_path_negated = false;
                self.path()
            }
            Some('!') => {
                self.pos += 1;
                self.skip_blanks();
                if !matches!(self.current(), Some('$' | '@')) {
                    return Err("Unexpected character: !".to_owned());
                }
                let path = self.path();
                self.last_path_negated = true;
                path
            }
            _ => self.literal(),
        }
    }

    fn path(&mut self) -> Result<Operand, String> {
        let begin = self.pos;
        self.pos += 1;
        while self.pos < self.chars.len() {
            if self.current() == Some('[') {
                let close = matching_close(self.chars, self.pos, '[', ']')
                    .ok_or_else(|| "Square brackets does not match in filter".to_owned())?;
                self.pos = close + 1;
                if self.pos >= self.chars.len() {
                    break;
                }
            }
            let c = self.chars[self.pos];
            let closes_function = c == ')' && self.closes_function(begin);
            if matches!(c, '<' | '>' | '=' | '~' | '!' | ' ') || (c == ')' && !closes_function) {
                break;
            }
            self.pos += 1;
        }
        let text = self.text(begin, self.pos);
        let relative = text.starts_with('@');
        let body = parse::parse_body(&text, self.depth)?;
        Ok(Operand::Path(FilterPath { relative, body }))
    }

    /// Jayway treats `)` as part of a path when it closes `name(` after a dot.
    fn closes_function(&self, lower: usize) -> bool {
        let mut idx = self.pos;
        while idx > lower {
            idx -= 1;
            if self.chars[idx] != ' ' {
                break;
            }
        }
        if self.chars[idx] != '(' {
            return false;
        }
        (lower + 1..idx).any(|i| self.chars[i] == '.')
    }

    fn literal(&mut self) -> Result<Operand, String> {
        match self.current() {
            Some(q @ ('\'' | '"')) => {
                let close = next_unescaped(self.chars, self.pos, q)
                    .ok_or_else(|| format!("String literal does not have matching quotes. Expected {q}"))?;
                let raw = self.text(self.pos + 1, close);
                self.pos = close + 1;
                Ok(Operand::Str(parse::unescape(&raw)?))
            }
            // A bare word: `true`, `false` and `null` are those values;
            // any other word is compared as the string it spells, as the
            // service evaluates `[?(@.status==Failure)]` (deployed
            // definitions rely on it).
            Some(c) if c.is_ascii_alphabetic() => {
                let begin = self.pos;
                while self
                    .current()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
                {
                    self.pos += 1;
                }
                Ok(match self.text(begin, self.pos).as_str() {
                    "true" => Operand::Bool(true),
                    "false" => Operand::Bool(false),
                    "null" => Operand::Null,
                    word => Operand::Str(word.to_owned()),
                })
            }
            Some(open @ ('{' | '[')) => {
                let close_char = if open == '{' { '}' } else { ']' };
                let close = matching_close(self.chars, self.pos, open, close_char)
                    .ok_or_else(|| "JSON literal is not closed".to_owned())?;
                let raw = self.text(self.pos, close + 1);
                self.pos = close + 1;
                let json = serde_json::from_str(&raw).map_err(|e| format!("Invalid JSON literal {raw}: {e}"))?;
                Ok(Operand::Json(json))
            }
            Some('/') => self.regex(),
            _ => {
                let begin = self.pos;
                while self
                    .current()
                    .is_some_and(|c| c.is_ascii_digit() || matches!(c, '-' | '.' | 'E' | 'e'))
                {
                    self.pos += 1;
                }
                let raw = self.text(begin, self.pos);
                Num::parse(&raw)
                    .map(Operand::Num)
                    .ok_or_else(|| format!("Failed to parse filter literal '{raw}'"))
            }
        }
    }

    fn regex(&mut self) -> Result<Operand, String> {
        let close =
            next_unescaped(self.chars, self.pos, '/').ok_or_else(|| "Pattern not closed. Expected /".to_owned())?;
        let pattern = self.text(self.pos + 1, close);
        self.pos = close + 1;
        let mut flags = String::new();
        while let Some(c) = self.current().filter(|c| "dixmsuU".contains(*c)) {
            if "imsx".contains(c) && !flags.contains(c) {
                flags.push(c);
            }
            self.pos += 1;
        }
        // Java's `matcher(input).matches()` must match the whole input.
        let prefix = if flags.is_empty() {
            String::new()
        } else {
            format!("(?{flags})")
        };
        let full = format!("{prefix}^(?:{pattern})$");
        regex::RegexBuilder::new(&full)
            .size_limit(1 << 20)
            .build()
            .map(Operand::Regex)
            .map_err(|e| format!("Invalid regular expression /{pattern}/: {e}"))
    }
}
