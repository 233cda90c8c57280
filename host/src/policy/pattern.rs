//! IAM wildcards: `*` matches any run of characters, `?` exactly one.

/// A compiled wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    tokens: Vec<Token>,
    case_sensitive: bool,
    /// A pattern that is just `*` matches everything; skip the matcher.
    any: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Star,
    One,
    Literal(char),
}

impl Pattern {
    /// IAM compares actions case-insensitively and resources (ARNs) exactly.
    pub fn new(text: &str, case_sensitive: bool) -> Pattern {
        let fold = |c: char| if case_sensitive { c } else { c.to_ascii_lowercase() };
        let tokens: Vec<Token> = text
            .chars()
            .map(|c| match c {
                '*' => Token::Star,
                '?' => Token::One,
                c => Token::Literal(fold(c)),
            })
            .collect();
        let any = tokens.iter().all(|t| *t == Token::Star) && !tokens.is_empty();
        Pattern {
            tokens,
            case_sensitive,
            any,
        }
    }

    pub fn matches(&self, text: &str) -> bool {
        if self.any {
            return true;
        }
        let chars: Vec<char> = if self.case_sensitive {
            text.chars().collect()
        } else {
            text.chars().map(|c| c.to_ascii_lowercase()).collect()
        };
        // Iterative matching with backtracking to the last star: no recursion,
        // linear in practice.
        let (mut t, mut p) = (0usize, 0usize);
        let (mut star, mut mark) = (None::<usize>, 0usize);
        while t < chars.len() {
            match self.tokens.get(p) {
                Some(Token::Literal(c)) if *c == chars[t] => {
                    t += 1;
                    p += 1;
                }
                Some(Token::One) => {
                    t += 1;
                    p += 1;
                }
                Some(Token::Star) => {
                    star = Some(p);
                    mark = t;
                    p += 1;
                }
                _ => match star {
                    Some(s) => {
                        p = s + 1;
                        mark += 1;
                        t = mark;
                    }
                    None => return false,
                },
            }
        }
        self.tokens[p..].iter().all(|t| *t == Token::Star)
    }
}
