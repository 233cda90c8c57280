//! Pratt parser producing a raw tree, following jsonata-js 2.0.6's `parser` (binding powers,
//! error codes). `process` (in `process.rs`) then turns the raw tree into [`crate::ast::Node`].

use crate::error::{Err, Result};
use crate::lexer::{Lexer, Tok};

/// Deepest nesting of sub-expressions accepted; deeper input is rejected rather than risking
/// the stack (jsonata-js would hit a JS RangeError).
pub(crate) const MAX_PARSE_DEPTH: usize = 1000;

#[derive(Debug)]
pub(crate) enum Raw {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
    Name(String),
    Var(String),
    Regex(String, String),
    Wildcard,
    Descendant,
    Parent,
    /// Infix operators including `.`, `..`, `and`, `~>`, `:=`, `@`, `#`.
    Binary(&'static str, Box<RawNode>, Box<RawNode>),
    Predicate(Box<RawNode>, Box<RawNode>),
    Group(Box<RawNode>, Vec<(RawNode, RawNode)>),
    Sort(Box<RawNode>, Vec<(bool, RawNode)>),
    Neg(Box<RawNode>),
    Array(Vec<RawNode>),
    Object(Vec<(RawNode, RawNode)>),
    Function(Box<RawNode>, Vec<RawNode>, bool),
    Placeholder,
    Lambda(Vec<String>, Option<String>, Box<RawNode>),
    Condition(Box<RawNode>, Box<RawNode>, Option<Box<RawNode>>),
    Block(Vec<RawNode>),
    Transform(Box<RawNode>, Box<RawNode>, Option<Box<RawNode>>),
}

#[derive(Debug)]
pub(crate) struct RawNode {
    pub raw: Raw,
    pub pos: usize,
    pub keep_array: bool,
}

fn node(raw: Raw, pos: usize) -> RawNode {
    RawNode {
        raw,
        pos,
        keep_array: false,
    }
}

fn lbp(tok: &Tok) -> u32 {
    match tok {
        Tok::Op(op) => match *op {
            "." => 75,
            "[" | "(" | "@" | "#" => 80,
            "{" => 70,
            // `|`, `..` and `**` are in jsonata's operator table but are registered without a
            // left binding power (prefix-only / range-in-array-only), so they end expressions.
            "?" => 20,
            "+" | "-" | "&" => 50,
            "*" | "/" | "%" => 60,
            "=" | "<" | ">" | "^" | "!=" | "<=" | ">=" | "~>" | "in" => 40,
            ":=" => 10,
            "and" => 30,
            "or" => 25,
            // ';' and ':' have binding power 80 in jsonata-js's table but no led; they only
            // terminate expressions, which a 0 here does as well.
            _ => 0,
        },
        _ => 0,
    }
}

pub(crate) struct Parser<'s> {
    lexer: Lexer<'s>,
    tok: Tok,
    pos: usize,
    depth: usize,
    src_len: usize,
}

fn tok_text(t: &Tok) -> String {
    match t {
        Tok::Op(o) => o.to_string(),
        Tok::Str(s) | Tok::Name(s) | Tok::Var(s) => s.clone(),
        Tok::Num(n) => crate::numfmt::js_number_to_string(*n),
        Tok::Bool(b) => b.to_string(),
        Tok::Null => "null".into(),
        Tok::Regex { pattern, .. } => pattern.clone(),
        Tok::End => "(end)".into(),
    }
}

impl<'s> Parser<'s> {
    pub(crate) fn parse(src: &'s str) -> Result<RawNode> {
        let mut p = Parser {
            lexer: Lexer::new(src),
            tok: Tok::End,
            pos: 0,
            depth: 0,
            src_len: src.len(),
        };
        p.advance(None, false)?;
        let expr = p.expression(0)?;
        if p.tok != Tok::End {
            return Err(Err::new("S0201").pos(p.pos).token(tok_text(&p.tok)).build());
        }
        Ok(expr)
    }

    fn is(&self, op: &str) -> bool {
        matches!(&self.tok, Tok::Op(o) if *o == op)
    }

    /// Move to the next token, first checking that the current one is `expect`.
    fn advance(&mut self, expect: Option<&str>, infix: bool) -> Result<()> {
        if let Some(id) = expect
            && !self.is(id)
        {
            let code = if self.tok == Tok::End { "S0203" } else { "S0202" };
            return Err(Err::new(code)
                .pos(self.pos)
                .token(tok_text(&self.tok))
                .value_str(id)
                .build());
        }
        let (tok, pos) = self.lexer.next(infix)?;
        if let Tok::Op(op) = &tok
            && matches!(*op, "!" | "~")
        {
            return Err(Err::new("S0204").pos(pos).token(*op).build());
        }
        self.pos = if tok == Tok::End { self.src_len } else { pos };
        self.tok = tok;
        Ok(())
    }

    fn expression(&mut self, rbp: u32) -> Result<RawNode> {
        self.depth += 1;
        if self.depth > MAX_PARSE_DEPTH {
            return Err(Err::new("U1001").pos(self.pos).build());
        }
        let r = stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.expression_inner(rbp));
        self.depth -= 1;
        r
    }

    fn expression_inner(&mut self, rbp: u32) -> Result<RawNode> {
        let t = std::mem::replace(&mut self.tok, Tok::End);
        let tpos = self.pos;
        self.advance(None, true)?;
        let mut left = self.nud(t, tpos)?;
        while rbp < lbp(&self.tok) {
            let t = std::mem::replace(&mut self.tok, Tok::End);
            let tpos = self.pos;
            self.advance(None, false)?;
            left = self.led(t, tpos, left)?;
        }
        Ok(left)
    }

    fn nud(&mut self, t: Tok, pos: usize) -> Result<RawNode> {
        Ok(match t {
            Tok::Str(s) => node(Raw::Str(s), pos),
            Tok::Num(n) => node(Raw::Num(n), pos),
            Tok::Bool(b) => node(Raw::Bool(b), pos),
            Tok::Null => node(Raw::Null, pos),
            Tok::Name(n) => node(Raw::Name(n), pos),
            Tok::Var(v) => node(Raw::Var(v), pos),
            Tok::Regex { pattern, flags } => node(Raw::Regex(pattern, flags), pos),
            Tok::End => return Err(Err::new("S0207").pos(pos).token("(end)").build()),
            Tok::Op(op) => match op {
                "and" | "or" | "in" => node(Raw::Name(op.to_string()), pos),
                "-" => {
                    let e = self.expression(70)?;
                    node(Raw::Neg(Box::new(e)), pos)
                }
                "*" => node(Raw::Wildcard, pos),
                "**" => node(Raw::Descendant, pos),
                "%" => node(Raw::Parent, pos),
                "(" => {
                    let mut exprs = Vec::new();
                    while !self.is(")") {
                        exprs.push(self.expression(0)?);
                        if !self.is(";") {
                            break;
                        }
                        self.advance(Some(";"), false)?;
                    }
                    self.advance(Some(")"), true)?;
                    node(Raw::Block(exprs), pos)
                }
                "[" => {
                    let mut items = Vec::new();
                    if !self.is("]") {
                        loop {
                            let mut item = self.expression(0)?;
                            if self.is("..") {
                                let rpos = self.pos;
                                self.advance(Some(".."), false)?;
                                let rhs = self.expression(0)?;
                                item = node(Raw::Binary("..", Box::new(item), Box::new(rhs)), rpos);
                            }
                            items.push(item);
                            if !self.is(",") {
                                break;
                            }
                            self.advance(Some(","), false)?;
                        }
                    }
                    self.advance(Some("]"), true)?;
                    node(Raw::Array(items), pos)
                }
                "{" => {
                    let pairs = self.object_pairs()?;
                    node(Raw::Object(pairs), pos)
                }
                "|" => {
                    let pattern = self.expression(0)?;
                    self.advance(Some("|"), false)?;
                    let update = self.expression(0)?;
                    let mut delete = None;
                    if self.is(",") {
                        self.advance(Some(","), false)?;
                        delete = Some(Box::new(self.expression(0)?));
                    }
                    self.advance(Some("|"), false)?;
                    node(Raw::Transform(Box::new(pattern), Box::new(update), delete), pos)
                }
                "?" => node(Raw::Placeholder, pos),
                other => return Err(Err::new("S0211").pos(pos).token(other).build()),
            },
        })
    }

    fn object_pairs(&mut self) -> Result<Vec<(RawNode, RawNode)>> {
        let mut pairs = Vec::new();
        if !self.is("}") {
            loop {
                let k = self.expression(0)?;
                self.advance(Some(":"), false)?;
                let v = self.expression(0)?;
                pairs.push((k, v));
                if !self.is(",") {
                    break;
                }
                self.advance(Some(","), false)?;
            }
        }
        self.advance(Some("}"), true)?;
        Ok(pairs)
    }

    fn led(&mut self, t: Tok, pos: usize, left: RawNode) -> Result<RawNode> {
        let Tok::Op(op) = t else {
            return Err(Err::new("S0201").pos(pos).token(tok_text(&t)).build());
        };
        Ok(match op {
            "(" => self.call(left, pos)?,
            "[" => {
                if self.is("]") {
                    // `[]` keeps a singleton array: flag the innermost step.
                    let mut left = left;
                    mark_keep_array(&mut left);
                    self.advance(Some("]"), false)?;
                    left
                } else {
                    let rhs = self.expression(0)?;
                    self.advance(Some("]"), true)?;
                    node(Raw::Predicate(Box::new(left), Box::new(rhs)), pos)
                }
            }
            "^" => {
                self.advance(Some("("), false)?;
                let mut terms = Vec::new();
                loop {
                    let mut desc = false;
                    if self.is("<") {
                        self.advance(Some("<"), false)?;
                    } else if self.is(">") {
                        desc = true;
                        self.advance(Some(">"), false)?;
                    }
                    terms.push((desc, self.expression(0)?));
                    if !self.is(",") {
                        break;
                    }
                    self.advance(Some(","), false)?;
                }
                self.advance(Some(")"), false)?;
                node(Raw::Sort(Box::new(left), terms), pos)
            }
            "{" => {
                let pairs = self.object_pairs()?;
                node(Raw::Group(Box::new(left), pairs), pos)
            }
            ":=" => {
                if !matches!(left.raw, Raw::Var(_)) {
                    return Err(Err::new("S0212").pos(left.pos).build());
                }
                let rhs = self.expression(9)?;
                node(Raw::Binary(":=", Box::new(left), Box::new(rhs)), pos)
            }
            "@" | "#" => {
                let rhs = self.expression(80)?;
                if !matches!(rhs.raw, Raw::Var(_)) {
                    return Err(Err::new("S0214").pos(rhs.pos).token(op).build());
                }
                node(Raw::Binary(op, Box::new(left), Box::new(rhs)), pos)
            }
            "?" => {
                let then = self.expression(0)?;
                let mut els = None;
                if self.is(":") {
                    self.advance(Some(":"), false)?;
                    els = Some(Box::new(self.expression(0)?));
                }
                node(Raw::Condition(Box::new(left), Box::new(then), els), pos)
            }
            "." | "+" | "-" | "*" | "/" | "%" | "=" | "<" | ">" | "!=" | "<=" | ">=" | "&" | "and" | "or" | "in"
            | "~>" | ".." => {
                let rhs = self.expression(lbp(&Tok::Op(op)))?;
                node(Raw::Binary(op, Box::new(left), Box::new(rhs)), pos)
            }
            other => return Err(Err::new("S0201").pos(pos).token(other).build()),
        })
    }

    fn call(&mut self, left: RawNode, pos: usize) -> Result<RawNode> {
        let mut args = Vec::new();
        let mut partial = false;
        if !self.is(")") {
            loop {
                if self.is("?") {
                    partial = true;
                    args.push(node(Raw::Placeholder, self.pos));
                    self.advance(Some("?"), false)?;
                } else {
                    args.push(self.expression(0)?);
                }
                if !self.is(",") {
                    break;
                }
                self.advance(Some(","), false)?;
            }
        }
        self.advance(Some(")"), true)?;
        let is_lambda = matches!(&left.raw, Raw::Name(n) if n == "function" || n == "\u{3bb}");
        if !is_lambda {
            return Ok(node(Raw::Function(Box::new(left), args, partial), pos));
        }
        let mut params = Vec::new();
        for (i, a) in args.into_iter().enumerate() {
            match a.raw {
                Raw::Var(v) => params.push(v),
                _ => {
                    return Err(Err::new("S0208").pos(a.pos).value_json((i + 1).to_string()).build());
                }
            }
        }
        let mut sig = None;
        if self.is("<") {
            // Re-tokenised signature text, as jsonata-js concatenates token values.
            let mut depth = 1;
            let mut s = String::from("<");
            while depth > 0 && !self.is("{") && self.tok != Tok::End {
                self.advance(None, false)?;
                if self.is(">") {
                    depth -= 1;
                } else if self.is("<") {
                    depth += 1;
                }
                s.push_str(&tok_text(&self.tok));
            }
            self.advance(Some(">"), false)?;
            // Validate now: jsonata-js reports signature errors before the body is parsed.
            crate::signature::Signature::parse(&s)?;
            sig = Some(s);
        }
        self.advance(Some("{"), false)?;
        let body = self.expression(0)?;
        self.advance(Some("}"), false)?;
        Ok(node(Raw::Lambda(params, sig, Box::new(body)), pos))
    }
}

fn mark_keep_array(n: &mut RawNode) {
    let mut step = n;
    while let Raw::Predicate(lhs, _) = &mut step.raw {
        step = lhs;
    }
    step.keep_array = true;
}
