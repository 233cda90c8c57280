//! Tokenizer, following jsonata-js 2.0.6's `tokenizer` (same token rules and error codes).

use crate::error::{Err, Result};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// An operator or punctuation symbol (`.`, `:=`, `and`...).
    Op(&'static str),
    Str(String),
    Num(f64),
    Name(String),
    Var(String),
    Bool(bool),
    Null,
    Regex {
        pattern: String,
        flags: String,
    },
    End,
}

/// Single-character operators, in jsonata-js's `operators` table (also the name stop set).
const SINGLE_OPS: &[&str] = &[
    ".", "[", "]", "{", "}", "(", ")", ",", "@", "#", ";", ":", "?", "+", "-", "*", "/", "%", "|", "=", "<", ">", "^",
    "&", "!", "~",
];

fn single_op(c: char) -> Option<&'static str> {
    let mut buf = [0u8; 4];
    let s = c.encode_utf8(&mut buf);
    SINGLE_OPS.iter().copied().find(|o| *o == s)
}

pub(crate) struct Lexer<'s> {
    src: &'s str,
    /// Byte offset of the next character.
    pos: usize,
}

impl<'s> Lexer<'s> {
    pub(crate) fn new(src: &'s str) -> Self {
        Lexer { src, pos: 0 }
    }

    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.src[self.pos..].chars().nth(n)
    }

    /// Next token and its start offset. `prefix` is true when an operand is expected, which is
    /// the only place a `/` starts a regex literal (jsonata-js passes the same flag).
    pub(crate) fn next(&mut self, prefix: bool) -> Result<(Tok, usize)> {
        loop {
            while let Some(c) = self.peek() {
                if matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{b}') {
                    self.pos += 1;
                } else {
                    break;
                }
            }
            if self.src[self.pos..].starts_with("/*") {
                let start = self.pos;
                match self.src[self.pos + 2..].find("*/") {
                    Some(end) => self.pos = self.pos + 2 + end + 2,
                    None => return Err(Err::new("S0106").pos(start).build()),
                }
                continue;
            }
            break;
        }
        let start = self.pos;
        let Some(c) = self.peek() else {
            return Ok((Tok::End, start));
        };
        if !prefix && c == '/' {
            self.pos += 1;
            return self.regex().map(|t| (t, start));
        }
        let two = |a: char, b: char| c == a && self.peek_at(1) == Some(b);
        for (a, b, op) in [
            ('.', '.', ".."),
            (':', '=', ":="),
            ('!', '=', "!="),
            ('>', '=', ">="),
            ('<', '=', "<="),
            ('*', '*', "**"),
            ('~', '>', "~>"),
        ] {
            if two(a, b) {
                self.pos += 2;
                return Ok((Tok::Op(op), start));
            }
        }
        if let Some(op) = single_op(c) {
            self.pos += 1;
            return Ok((Tok::Op(op), start));
        }
        if c == '"' || c == '\'' {
            self.pos += 1;
            return self.string(c).map(|t| (t, start));
        }
        if (c.is_ascii_digit() || (c == '-' && self.peek_at(1).is_some_and(|d| d.is_ascii_digit())))
            && let Some(t) = self.number()?
        {
            return Ok((t, start));
        }
        if c == '`' {
            self.pos += 1;
            return match self.src[self.pos..].find('`') {
                Some(end) => {
                    let name = self.src[self.pos..self.pos + end].to_string();
                    self.pos += end + 1;
                    Ok((Tok::Name(name), start))
                }
                None => {
                    self.pos = self.src.len();
                    Err(Err::new("S0105").pos(self.pos).build())
                }
            };
        }
        let rest = &self.src[self.pos..];
        let end = rest
            .char_indices()
            .find(|&(_, ch)| matches!(ch, ' ' | '\t' | '\n' | '\r' | '\u{b}') || single_op(ch).is_some())
            .map(|(i, _)| i)
            .unwrap_or(rest.len());
        let word = &rest[..end];
        self.pos += end;
        if let Some(var) = word.strip_prefix('$') {
            return Ok((Tok::Var(var.to_string()), start));
        }
        let tok = match word {
            "or" => Tok::Op("or"),
            "in" => Tok::Op("in"),
            "and" => Tok::Op("and"),
            "true" => Tok::Bool(true),
            "false" => Tok::Bool(false),
            "null" => Tok::Null,
            _ => Tok::Name(word.to_string()),
        };
        Ok((tok, start))
    }

    fn number(&mut self) -> Result<Option<Tok>> {
        // -?(0|([1-9][0-9]*))(\.[0-9]+)?([Ee][-+]?[0-9]+)?
        let b = self.src.as_bytes();
        let mut i = self.pos;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        match b.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => {
                while b.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
            }
            _ => return Ok(None),
        }
        if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
            i += 1;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            let mut j = i + 1;
            if matches!(b.get(j), Some(b'+' | b'-')) {
                j += 1;
            }
            if b.get(j).is_some_and(u8::is_ascii_digit) {
                while b.get(j).is_some_and(u8::is_ascii_digit) {
                    j += 1;
                }
                i = j;
            }
        }
        let text = &self.src[self.pos..i];
        let n: f64 = text.parse().unwrap_or(f64::NAN);
        if !n.is_finite() {
            return Err(Err::new("S0102").pos(self.pos).token(text).build());
        }
        self.pos = i;
        Ok(Some(Tok::Num(n)))
    }

    fn string(&mut self, quote: char) -> Result<Tok> {
        let mut out = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(Err::new("S0101").pos(self.pos).build());
            };
            self.pos += c.len_utf8();
            if c == quote {
                return Ok(Tok::Str(out));
            }
            if c != '\\' {
                out.push(c);
                continue;
            }
            let Some(e) = self.peek() else {
                return Err(Err::new("S0101").pos(self.pos).build());
            };
            self.pos += e.len_utf8();
            match e {
                '"' => out.push('"'),
                '\\' => out.push('\\'),
                '/' => out.push('/'),
                'b' => out.push('\u{8}'),
                'f' => out.push('\u{c}'),
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                'u' => {
                    let hex = self.src.get(self.pos..self.pos + 4).unwrap_or("");
                    let Some(cu) = (hex.len() == 4 && hex.bytes().all(|h| h.is_ascii_hexdigit()))
                        .then(|| u16::from_str_radix(hex, 16).ok())
                        .flatten()
                    else {
                        return Err(Err::new("S0104").pos(self.pos).build());
                    };
                    self.pos += 4;
                    // Surrogate pairs arrive as two escapes; JS strings hold UTF-16 so join them.
                    if (0xD800..0xDC00).contains(&cu) && self.src[self.pos..].starts_with("\\u") {
                        let hex2 = self.src.get(self.pos + 2..self.pos + 6).unwrap_or("");
                        if let Ok(lo) = u16::from_str_radix(hex2, 16)
                            && (0xDC00..0xE000).contains(&lo)
                        {
                            self.pos += 6;
                            out.extend(char::decode_utf16([cu, lo]).map(|r| r.unwrap_or('\u{FFFD}')));
                            continue;
                        }
                    }
                    out.push(char::from_u32(cu as u32).unwrap_or('\u{FFFD}'));
                }
                other => {
                    return Err(Err::new("S0103").pos(self.pos).token(other.to_string()).build());
                }
            }
        }
    }

    fn regex(&mut self) -> Result<Tok> {
        let start = self.pos;
        let b = self.src.as_bytes();
        let mut depth: i32 = 0;
        let mut i = self.pos;
        while i < b.len() {
            let c = b[i];
            if c == b'/' && depth == 0 {
                let mut backslashes = 0;
                while i > backslashes && b[i - backslashes - 1] == b'\\' {
                    backslashes += 1;
                }
                if backslashes % 2 == 0 {
                    let pattern = self.src[start..i].to_string();
                    if pattern.is_empty() {
                        return Err(Err::new("S0301").pos(i).build());
                    }
                    i += 1;
                    let fstart = i;
                    while i < b.len() && (b[i] == b'i' || b[i] == b'm') {
                        i += 1;
                    }
                    let flags = self.src[fstart..i].to_string();
                    self.pos = i;
                    return Ok(Tok::Regex { pattern, flags });
                }
            }
            let escaped = i > 0 && b[i - 1] == b'\\';
            if matches!(c, b'(' | b'[' | b'{') && !escaped {
                depth += 1;
            }
            if matches!(c, b')' | b']' | b'}') && !escaped {
                depth -= 1;
            }
            i += 1;
        }
        Err(Err::new("S0302").pos(b.len()).build())
    }
}
