//! The JSONPath grammar, following Jayway JsonPath's `PathCompiler`.
//!
//! AWS evaluates paths with Jayway (Java), so this parser accepts what Jayway
//! accepts and records each token the way Jayway renders it (`$['a'][0]`), since
//! AWS's error messages quote that rendering. Where Jayway silently ignores
//! trailing characters (a quirk of its tokenizer) we reject them instead.

use super::filter::{self, Filter};

/// Bounds the work a hostile path can cause: segments per path and filters
/// nested inside filters.
pub(crate) const MAX_SEGMENTS: usize = 1000;
pub(crate) const MAX_FILTER_DEPTH: usize = 16;

/// One Jayway path token after the root.
#[derive(Debug, Clone)]
pub(crate) enum Segment {
    /// `.name`, `['name']` or `['a','b']`. `quote` is the delimiter the source
    /// used; Jayway echoes it when it prints the path.
    Property { names: Vec<String>, quote: char },
    /// `[0]` or `[0,2]` (indexes may be negative: counted from the end).
    Index(Vec<i32>),
    /// `[from:to]`; Jayway ignores a third (step) part.
    Slice { from: Option<i32>, to: Option<i32> },
    /// `*` or `[*]`.
    Wildcard,
    /// `..`: the next token applies at every depth.
    Scan,
    /// `[?(...)]`.
    Filter(Box<Filter>),
    /// `.name()`; AWS accepts the syntax but never finds a value for it.
    Function(String),
}

/// A parsed path body: the tokens after the root, how Jayway prints each one,
/// and whether the whole path is definite (selects at most one node).
#[derive(Debug, Clone)]
pub(crate) struct Body {
    pub segments: Vec<Segment>,
    pub fragments: Vec<String>,
    pub definite: bool,
}

impl Body {
    /// Jayway's `PathToken.isTokenDefinite` for segment `i`.
    pub(crate) fn segment_definite(&self, i: usize) -> bool {
        let leaf = i + 1 == self.segments.len();
        match &self.segments[i] {
            Segment::Property { names, .. } => names.len() == 1 || leaf,
            Segment::Index(indexes) => indexes.len() == 1,
            Segment::Function(_) => true,
            Segment::Slice { .. } | Segment::Wildcard | Segment::Scan | Segment::Filter(_) => false,
        }
    }

    /// The whole path as Jayway prints it, given the root character.
    pub(crate) fn render(&self, root: char) -> String {
        let mut out = String::with_capacity(1 + self.fragments.iter().map(String::len).sum::<usize>());
        out.push(root);
        for fragment in &self.fragments {
            out.push_str(fragment);
        }
        out
    }
}

/// Parses a path that starts with `$` or `@` (for `$$` and `$var`, the caller
/// passes the text with the root rewritten to `$`).
pub(crate) fn parse_body(src: &str, filter_depth: usize) -> Result<Body, String> {
    let chars: Vec<char> = src.trim_matches(|c: char| c <= ' ').chars().collect();
    let mut parser = Parser {
        chars: &chars,
        pos: 0,
        segments: Vec::new(),
        filter_depth,
    };
    parser.parse()?;
    let segments = parser.segments;
    let fragments = segments.iter().map(fragment).collect();
    let mut body = Body {
        segments,
        fragments,
        definite: true,
    };
    body.definite = (0..body.segments.len()).all(|i| body.segment_definite(i));
    Ok(body)
}

fn fragment(segment: &Segment) -> String {
    match segment {
        Segment::Property { names, quote } => {
            let quoted: Vec<String> = names.iter().map(|n| format!("{quote}{n}{quote}")).collect();
            format!("[{}]", quoted.join(","))
        }
        Segment::Index(indexes) => {
            let list: Vec<String> = indexes.iter().map(i32::to_string).collect();
            format!("[{}]", list.join(","))
        }
        Segment::Slice { from, to } => format!(
            "[{}:{}]",
            from.map(|v| v.to_string()).unwrap_or_default(),
            to.map(|v| v.to_string()).unwrap_or_default()
        ),
        Segment::Wildcard => "[*]".to_owned(),
        Segment::Scan => "..".to_owned(),
        Segment::Filter(_) => "[?]".to_owned(),
        Segment::Function(name) => format!(".{name}()"),
    }
}

struct Parser<'c> {
    chars: &'c [char],
    pos: usize,
    segments: Vec<Segment>,
    filter_depth: usize,
}

impl Parser<'_> {
    fn at(&self, i: usize) -> Option<char> {
        self.chars.get(i).copied()
    }

    fn push(&mut self, segment: Segment) -> Result<(), String> {
        if self.segments.len() >= MAX_SEGMENTS {
            return Err(format!("Path has more than {MAX_SEGMENTS} tokens"));
        }
        self.segments.push(segment);
        Ok(())
    }

    /// Index of the next non-space character after `from`, if any.
    fn next_significant(&self, from: usize) -> Option<usize> {
        (from + 1..self.chars.len()).find(|&i| self.chars[i] != ' ')
    }

    fn parse(&mut self) -> Result<(), String> {
        match self.at(0) {
            Some('$' | '@') => {}
            Some(_) => return Err("Path must start with '$' or '@'".to_owned()),
            None => return Err("Path must not be empty".to_owned()),
        }
        if self.chars.last() == Some(&'.') {
            return Err("Path must not end with a '.' or '..'".to_owned());
        }
        if self.chars.len() == 1 {
            return Ok(());
        }
        self.pos = 1;
        if !matches!(self.at(1), Some('.' | '[')) {
            return Err("Illegal character at position 1 expected '.' or '['".to_owned());
        }
        while self.pos < self.chars.len() {
            self.read_token()?;
        }
        Ok(())
    }

    fn read_token(&mut self) -> Result<(), String> {
        match self.chars[self.pos] {
            '[' => self.read_bracket(),
            '.' => self.read_dot(),
            '*' => {
                self.pos += 1;
                self.push(Segment::Wildcard)
            }
            _ => self.read_property_or_function(),
        }
    }

    fn read_dot(&mut self) -> Result<(), String> {
        if self.at(self.pos + 1) == Some('.') {
            self.push(Segment::Scan)?;
            self.pos += 2;
        } else {
            self.pos += 1;
        }
        match self.at(self.pos) {
            None => Err("Path must not end with a '.'".to_owned()),
            Some('.') => Err(format!("Character '.' on position {} is not valid.", self.pos)),
            Some(_) => self.read_token(),
        }
    }

    fn read_property_or_function(&mut self) -> Result<(), String> {
        let start = self.pos;
        if self.chars[start] == ' ' {
            return Err(format!("Could not parse token starting at position {start}"));
        }
        let mut end = start;
        while end < self.chars.len() {
            match self.chars[end] {
                ' ' => {
                    return Err(format!(
                        "Use bracket notion ['my prop'] if your property contains blank characters. position: {start}"
                    ));
                }
                '.' | '[' => break,
                '(' => return self.read_function(start, end),
                _ => end += 1,
            }
        }
        let name: String = self.chars[start..end].iter().collect();
        self.pos = end;
        self.push(Segment::Property {
            names: vec![name],
            quote: '\'',
        })
    }

    /// `name(...)`: Jayway path functions. Only valid as the last token.
    fn read_function(&mut self, start: usize, open: usize) -> Result<(), String> {
        let name: String = self.chars[start..open].iter().collect();
        let mut depth = 0usize;
        let mut close = None;
        for i in open..self.chars.len() {
            match self.chars[i] {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        close = Some(i);
                        break;
                    }
                }
                _ => {}
            }
        }
        let Some(close) = close else {
            return Err(format!("Arguments to function: '{name}' are not closed properly."));
        };
        if close + 1 != self.chars.len() {
            return Err(format!("Function '{name}' must be the last token of the path"));
        }
        self.pos = close + 1;
        self.push(Segment::Function(name))
    }

    fn read_bracket(&mut self) -> Result<(), String> {
        let Some(next) = self.next_significant(self.pos) else {
            return Err(format!("Could not parse token starting at position {}", self.pos));
        };
        match self.chars[next] {
            '\'' | '"' => self.read_bracket_property(next),
            c if c.is_ascii_digit() || c == '-' || c == ':' => self.read_array(),
            '*' => self.read_bracket_wildcard(next),
            '?' => self.read_filter(next),
            _ => Err(format!(
                "Could not parse token starting at position {}. Expected ?, ', 0-9, * ",
                self.pos
            )),
        }
    }

    fn read_bracket_wildcard(&mut self, star: usize) -> Result<(), String> {
        match self.next_significant(star) {
            Some(close) if self.chars[close] == ']' => {
                self.pos = close + 1;
                self.push(Segment::Wildcard)
            }
            _ => Err(format!(
                "Expected wildcard token to end with ']' on position {}",
                star + 1
            )),
        }
    }

    fn read_array(&mut self) -> Result<(), String> {
        let begin = self.pos + 1;
        let Some(close) = (begin..self.chars.len()).find(|&i| self.chars[i] == ']') else {
            return Err(format!("Could not parse token starting at position {}", self.pos));
        };
        let expression: String = self.chars[begin..close].iter().collect::<String>().trim().to_owned();
        let valid = |c: char| c.is_ascii_digit() || matches!(c, ',' | '-' | ':' | ' ');
        if !expression.chars().all(valid) {
            return Err(format!("Could not parse token starting at position {}", self.pos));
        }
        let segment = if expression.contains(':') {
            parse_slice(&expression)?
        } else {
            parse_indexes(&expression)?
        };
        self.pos = close + 1;
        self.push(segment)
    }

    fn read_bracket_property(&mut self, open_quote: usize) -> Result<(), String> {
        let quote = self.chars[open_quote];
        let mut names = Vec::new();
        let mut i = self.pos + 1;
        let mut start = 0;
        let mut in_property = false;
        let mut in_escape = false;
        let mut last_was_comma = false;
        let mut end_of_last = self.pos;
        while let Some(c) = self.at(i) {
            if in_escape {
                in_escape = false;
            } else if c == '\\' {
                in_escape = true;
            } else if c == ']' && !in_property {
                if last_was_comma {
                    return Err(format!("Found empty property at index {i}"));
                }
                break;
            } else if c == quote {
                if in_property {
                    let after = self.next_significant(i).map(|j| self.chars[j]);
                    if !matches!(after, Some(']' | ',')) {
                        return Err(format!(
                            "Property must be separated by comma or Property must be terminated close square bracket at index {i}"
                        ));
                    }
                    let raw: String = self.chars[start..i].iter().collect();
                    names.push(unescape(&raw)?);
                    end_of_last = i;
                    in_property = false;
                } else {
                    start = i + 1;
                    in_property = true;
                    last_was_comma = false;
                }
            } else if c == ',' && !in_property {
                if last_was_comma {
                    return Err(format!("Found empty property at index {i}"));
                }
                last_was_comma = true;
            }
            i += 1;
        }
        if in_property {
            return Err(format!("Property has not been closed - missing closing {quote}"));
        }
        let close = match self.next_significant(end_of_last) {
            Some(j) if self.chars[j] == ']' => j,
            _ => return Err("Property has not been closed - missing closing ]".to_owned()),
        };
        if names.is_empty() {
            return Err("Empty properties".to_owned());
        }
        self.pos = close + 1;
        self.push(Segment::Property { names, quote })
    }

    fn read_filter(&mut self, question: usize) -> Result<(), String> {
        let open_paren = match self.next_significant(question) {
            Some(j) if self.chars[j] == '(' => j,
            _ => {
                return Err(format!("Could not parse token starting at position {}", self.pos));
            }
        };
        let Some(close_paren) = filter::matching_close(self.chars, open_paren, '(', ')') else {
            return Err(format!("Could not parse token starting at position {}", self.pos));
        };
        let close = match self.next_significant(close_paren) {
            Some(j) if self.chars[j] == ']' => j,
            _ => {
                return Err(format!("Could not parse token starting at position {}", self.pos));
            }
        };
        if self.filter_depth >= MAX_FILTER_DEPTH {
            return Err("Filters are nested too deeply".to_owned());
        }
        let inner = &self.chars[open_paren..=close_paren];
        let compiled = filter::compile(inner, self.filter_depth + 1)?;
        self.pos = close + 1;
        self.push(Segment::Filter(Box::new(compiled)))
    }
}

fn parse_i32(token: &str) -> Result<i32, String> {
    token
        .parse::<i32>()
        .map_err(|_| format!("Failed to parse token in ArrayIndexOperation: {token}"))
}

/// `[1,2]`: Jayway splits on commas with optional spaces around them.
fn parse_indexes(expression: &str) -> Result<Segment, String> {
    let indexes = expression
        .split(',')
        .map(|t| parse_i32(t.trim()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Segment::Index(indexes))
}

/// `[from:to]`, `[from:]`, `[:to]`. Like Java's `String.split`, trailing empty
/// parts vanish and a third part (a step) is ignored.
fn parse_slice(expression: &str) -> Result<Segment, String> {
    if !expression.chars().all(|c| c.is_ascii_digit() || c == '-' || c == ':') {
        return Err(format!("Failed to parse SliceOperation: {expression}"));
    }
    let mut parts: Vec<&str> = expression.split(':').collect();
    while parts.last() == Some(&"") {
        parts.pop();
    }
    let read = |i: usize| -> Result<Option<i32>, String> {
        match parts.get(i) {
            None | Some(&"") => Ok(None),
            Some(t) => parse_i32(t).map(Some),
        }
    };
    let (from, to) = (read(0)?, read(1)?);
    if from.is_none() && to.is_none() {
        return Err(format!("Failed to parse SliceOperation: {expression}"));
    }
    Ok(Segment::Slice { from, to })
}

/// Jayway's `Utils.unescape`: Java-style backslash escapes in quoted names.
pub(crate) fn unescape(raw: &str) -> Result<String, String> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            None => out.push('\\'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\u{c}'),
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('b') => out.push('\u{8}'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                let code = u32::from_str_radix(&hex, 16)
                    .ok()
                    .filter(|_| hex.len() == 4)
                    .ok_or_else(|| format!("Unable to parse unicode value: {hex}"))?;
                // A lone surrogate cannot live in a Rust string: keep U+FFFD like a lossy decoder.
                out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
            }
            Some(other) => out.push(other),
        }
    }
    Ok(out)
}
