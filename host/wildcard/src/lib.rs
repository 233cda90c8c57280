//! Glob matching shared by Choice's `StringMatches` and IAM patterns:
//! `*` matches any run of characters, `?` (IAM only) exactly one.
//!
//! A leaf: depends on no other Stepyard crate. Callers compile their own
//! patterns into [`Token`]s (the escapes differ: Choice has `\*`, IAM has
//! none) and match them with [`matches_str`].

/// One element of a compiled pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    /// `*`
    Any,
    /// `?`
    One,
    /// Any other character, matched as itself.
    Char(char),
}

/// Whether `text` matches `tokens`, its characters folded to ASCII lower
/// case first when `fold_case` (the tokens are folded already). Reads
/// ASCII text (ARNs, actions, most strings) in place; other text is
/// decoded into characters once.
pub fn matches_str(tokens: &[Token], text: &str, fold_case: bool) -> bool {
    let fold = |c: char| if fold_case { c.to_ascii_lowercase() } else { c };
    if text.is_ascii() {
        let bytes = text.as_bytes();
        matches_at(tokens, bytes.len(), |i| fold(char::from(bytes[i])))
    } else {
        let chars: Vec<char> = text.chars().map(fold).collect();
        matches_at(tokens, chars.len(), |i| chars[i])
    }
}

/// Whether the `len` characters that `at` gives match `tokens`. Iterative,
/// backtracking only to the last `*`: linear in practice, never recursive,
/// whatever the input.
fn matches_at(tokens: &[Token], len: usize, at: impl Fn(usize) -> char) -> bool {
    let (mut t, mut p) = (0usize, 0usize);
    let (mut star, mut mark) = (None::<usize>, 0usize);
    while t < len {
        match tokens.get(p) {
            Some(Token::Char(c)) if *c == at(t) => {
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
        matches_str(&toks(p), t, false)
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
        let text = "a".repeat(10_000);
        assert!(!matches_str(&toks(&format!("{}b", "*a".repeat(50))), &text, false));
    }

    #[test]
    fn text_beyond_ascii_matches_by_character() {
        assert!(m("?", "é"));
        assert!(m("h?llo*", "hällo wörld"));
        assert!(!m("h?llo", "haello"));
        assert!(m("*€", "price: 5€"));
    }

    #[test]
    fn folding_lowers_ascii_letters_of_the_text_only() {
        assert!(matches_str(
            &toks("states:startexecution"),
            "states:StartExecution",
            true
        ));
        assert!(!matches_str(
            &toks("states:startexecution"),
            "states:StartExecution",
            false
        ));
        assert!(matches_str(&toks("ä*"), "ä-X", true));
        assert!(!matches_str(&toks("ä*"), "Ä-X", true), "only ASCII folds, as before");
    }
}
