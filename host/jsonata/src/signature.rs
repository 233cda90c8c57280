//! Function signatures (`<s-n?:s>`), validated the way jsonata-js does it: each argument is
//! reduced to a type symbol and the symbol string is matched against a regex built from the
//! signature, so optional/variadic/context rules and error indices come out identical.

use crate::error::{Err, Error, Result};
use crate::value::Value;

#[derive(Debug, Clone)]
struct Param {
    regex: String,
    type_: String,
    context: bool,
    context_regex: Option<regex::Regex>,
    subtype: Option<String>,
}

/// A parsed signature.
#[derive(Debug, Clone)]
pub(crate) struct Signature {
    params: Vec<Param>,
    regex: regex::Regex,
}

fn close(chars: &[char], start: usize, open: char, close: char) -> usize {
    let mut depth = 1;
    let mut p = start;
    while p + 1 < chars.len() {
        p += 1;
        if chars[p] == close {
            depth -= 1;
            if depth == 0 {
                break;
            }
        } else if chars[p] == open {
            depth += 1;
        }
    }
    p
}

impl Signature {
    pub(crate) fn parse(sig: &str) -> Result<Signature> {
        let chars: Vec<char> = sig.chars().collect();
        let mut params: Vec<Param> = Vec::new();
        let mut p = 1;
        let new_param = |regex: String, type_: String| Param {
            regex,
            type_,
            context: false,
            context_regex: None,
            subtype: None,
        };
        while p < chars.len() {
            let c = chars[p];
            if c == ':' {
                break;
            }
            match c {
                's' | 'n' | 'b' | 'l' | 'o' => params.push(new_param(format!("[{c}m]"), c.to_string())),
                'a' => params.push(new_param("[asnblfom]".into(), "a".into())),
                'f' => params.push(new_param("f".into(), "f".into())),
                'j' => params.push(new_param("[asnblom]".into(), "j".into())),
                'x' => params.push(new_param("[asnblfom]".into(), "x".into())),
                '-' => {
                    if let Some(last) = params.last_mut() {
                        last.context = true;
                        last.context_regex = regex::Regex::new(&format!("^{}$", last.regex)).ok();
                        last.regex.push('?');
                    }
                }
                '?' | '+' => {
                    if let Some(last) = params.last_mut() {
                        last.regex.push(c);
                    }
                }
                '(' => {
                    let end = close(&chars, p, '(', ')');
                    let choice: String = chars.get(p + 1..end).unwrap_or_default().iter().collect();
                    if choice.contains('<') {
                        return Err(Err::new("S0402").value_str(&choice).pos(p).build());
                    }
                    params.push(new_param(format!("[{choice}m]"), format!("({choice})")));
                    p = end;
                }
                '<' => {
                    let Some(last) = params.last_mut().filter(|l| l.type_ == "a" || l.type_ == "f") else {
                        let t = params.last().map(|l| l.type_.clone()).unwrap_or_default();
                        return Err(Err::new("S0401").value_str(&t).pos(p).build());
                    };
                    let end = close(&chars, p, '<', '>');
                    last.subtype = Some(chars.get(p + 1..end).unwrap_or_default().iter().collect());
                    p = end;
                }
                _ => {}
            }
            p += 1;
        }
        let re: String = params.iter().map(|p| format!("({})", p.regex)).collect();
        let regex = regex::Regex::new(&format!("^{re}$")).map_err(|_| Err::new("S0401").build())?;
        Ok(Signature { params, regex })
    }

    /// Check `args` against the signature, inserting the context value where a `-` parameter is
    /// missing and wrapping singletons where an array is expected.
    pub(crate) fn validate<'a>(
        &self,
        args: Vec<Value<'a>>,
        context: &Value<'a>,
        name: Option<&str>,
    ) -> Result<Vec<Value<'a>>> {
        let tok = name.unwrap_or("").to_string();
        let supplied: String = args.iter().map(Value::symbol).collect();
        let Some(caps) = self.regex.captures(&supplied) else {
            return Err(self.validation_error(&args, &supplied, tok));
        };
        let mut out = Vec::with_capacity(self.params.len());
        let mut arg_index = 0;
        let mut args = args.into_iter().map(Some).collect::<Vec<_>>();
        let mut take = |i: usize| args.get_mut(i).and_then(Option::take).unwrap_or(Value::Undefined);
        for (index, param) in self.params.iter().enumerate() {
            let m = caps.get(index + 1).map(|m| m.as_str()).unwrap_or("");
            if m.is_empty() {
                if param.context && param.context_regex.is_some() {
                    let ctype = context.symbol().to_string();
                    if param.context_regex.as_ref().is_some_and(|r| r.is_match(&ctype)) {
                        out.push(context.clone());
                    } else {
                        return Err(Err::new("T0411")
                            .token(tok)
                            .value_json(context.to_json_text())
                            .index(arg_index + 1)
                            .build());
                    }
                } else {
                    out.push(take(arg_index));
                    arg_index += 1;
                }
                continue;
            }
            for single in m.chars() {
                let arg = take(arg_index);
                if param.type_ == "a" {
                    if single == 'm' {
                        out.push(Value::Undefined);
                    } else {
                        let mut ok = true;
                        if let Some(sub) = &param.subtype {
                            if single != 'a' && m != sub {
                                ok = false;
                            } else if single == 'a' {
                                let mut items = arg.members();
                                if let Some(first) = items.next() {
                                    let t = first.symbol();
                                    if !sub.starts_with(t) {
                                        ok = false;
                                    } else {
                                        ok = items.all(|v| v.symbol() == t);
                                    }
                                }
                            }
                        }
                        if !ok {
                            let type_name = match param.subtype.as_deref() {
                                Some("a") => "arrays",
                                Some("b") => "booleans",
                                Some("f") => "functions",
                                Some("n") => "numbers",
                                Some("o") => "objects",
                                Some("s") => "strings",
                                _ => "",
                            };
                            return Err(Err::new("T0412")
                                .token(tok.clone())
                                .value_json(arg.to_json_text())
                                .index(arg_index + 1)
                                .type_(type_name)
                                .build());
                        }
                        if single != 'a' {
                            out.push(Value::array_of(vec![arg]));
                        } else {
                            out.push(arg);
                        }
                    }
                } else {
                    out.push(arg);
                }
                arg_index += 1;
            }
        }
        Ok(out)
    }

    fn validation_error(&self, args: &[Value<'_>], supplied: &str, tok: String) -> Error {
        let mut partial = String::from("^");
        let mut good_to = 0;
        for p in &self.params {
            partial.push_str(&p.regex);
            match regex::Regex::new(&partial)
                .ok()
                .and_then(|r| r.find(supplied).map(|m| m.end()))
            {
                Some(end) => good_to = end,
                None => break,
            }
        }
        let value = args
            .get(good_to)
            .map(|v| v.to_json_text())
            .unwrap_or_else(|| "undefined".into());
        Err::new("T0410")
            .token(tok)
            .value_json(value)
            .index(good_to + 1)
            .build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optional_and_context_params_parse() {
        let s = Signature::parse("<s-nn?:s>").unwrap();
        assert_eq!(s.params.len(), 3);
        assert!(s.regex.is_match("snn"));
        assert!(s.regex.is_match("n"));
    }

    #[test]
    fn type_parameter_on_scalar_is_rejected() {
        assert_eq!(Signature::parse("<s<s>>").unwrap_err().code, "S0401");
    }
}
