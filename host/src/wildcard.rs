//! Glob matching shared by Choice's `StringMatches` and IAM patterns:
//! `*` matches any run of characters, `?` (IAM only) exactly one.

/// One element of a compiled pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Token {
    /// `*`
    Any,
    /// `?`
    One,
    Char(char),
}

/// Whether `text` matches `tokens`. Iterative, backtracking only to the last
/// `*`: linear in practice, never recursive, whatever the input.
pub(crate) fn matches(tokens: &[Token], text: &[char]) -> bool {
    let (mut t, mut p) = (0usize, 0usize);
    let (mut star, mut mark) = (None::<usize>, 0usize);
    while t < text.len() {
        match tokens.get(p) {
            Some(Token::Char(c)) if *c == text[t] => {
                t += 1;
                p += 1;
            }
            Some(Token::One) => {
                t += 1;
                p += 1;
            }
            Some(Token::Any) => {
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
    tokens[p..].iter().all(|t| *t == Token::Any)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Token> {
        s.chars()
            .map(|c| match c {
                '*' => Token::Any,
                '?' => Token::One,
                c => Token::Char(c),
            })
            .collect()
    }

    fn m(p: &str, t: &str) -> bool {
        matches(&toks(p), &t.chars().collect::<Vec<_>>())
    }

    #[test]
    fn stars_and_question_marks() {
        assert!(m("a*c", "abbbc"));
        assert!(m("a?c", "abc"));
        assert!(!m("a?c", "ac"));
        assert!(m("*", ""));
        assert!(m("**x*", "yyx"));
        assert!(!m("abc", "abcd"));
    }

    #[test]
    fn pathological_patterns_stay_fast() {
        let text: Vec<char> = "a".repeat(10_000).chars().collect();
        assert!(!matches(&toks(&format!("{}b", "*a".repeat(50))), &text));
    }
}
