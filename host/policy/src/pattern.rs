//! IAM wildcards: `*` matches any run of characters, `?` exactly one.

use stepyard_wildcard::Token;

/// A compiled wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    tokens: Vec<Token>,
    case_sensitive: bool,
    /// A pattern that is just `*` matches everything; skip the matcher.
    any: bool,
}

impl Pattern {
    /// IAM compares actions case-insensitively and resources (ARNs) exactly.
    pub fn new(text: &str, case_sensitive: bool) -> Pattern {
        let fold = |c: char| if case_sensitive { c } else { c.to_ascii_lowercase() };
        let tokens: Vec<Token> = text
            .chars()
            .map(|c| match c {
                '*' => Token::Any,
                '?' => Token::One,
                c => Token::Char(fold(c)),
            })
            .collect();
        let any = !tokens.is_empty() && tokens.iter().all(|t| *t == Token::Any);
        Pattern {
            tokens,
            case_sensitive,
            any,
        }
    }

    /// Whether the whole of `text` matches, in the case sensitivity it was built with.
    pub fn matches(&self, text: &str) -> bool {
        if self.any {
            return true;
        }
        stepyard_wildcard::matches_str(&self.tokens, text, !self.case_sensitive)
    }
}
