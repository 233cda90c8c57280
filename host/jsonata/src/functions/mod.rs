//! The built-in function library, grouped by family. Each built-in has jsonata-js's
//! signature string, validated before the implementation runs.

pub(crate) mod array;
pub(crate) mod aws;
pub(crate) mod datetime;
pub(crate) mod datetime_parse;
pub(crate) mod format_number;
pub(crate) mod hof;
pub(crate) mod integer;
pub(crate) mod numeric;
pub(crate) mod object;
pub(crate) mod regex;
pub(crate) mod string;

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::error::Result;
use crate::eval::Ctx;
use crate::signature::Signature;
use crate::value::Value;

pub(crate) type BuiltinFn = for<'a> fn(&Ctx<'a>, Vec<Value<'a>>, &Value<'a>) -> Result<Value<'a>>;

/// A built-in function.
pub(crate) struct Builtin {
    pub name: &'static str,
    signature: Signature,
    arity: usize,
    pub func: BuiltinFn,
}

impl Builtin {
    pub(crate) fn signature(&self) -> &Signature {
        &self.signature
    }
    /// The JS implementation's declared parameter count (what `$map` & co. look at).
    pub(crate) fn arity(&self) -> usize {
        self.arity
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Set {
    /// Standard JSONata; `$eval` is absent under the AWS option.
    Std,
    StdNotAws,
    Aws,
}

#[rustfmt::skip]
const TABLE: &[(&str, &str, usize, BuiltinFn, Set)] = &[
    ("sum", "<a<n>:n>", 1, numeric::sum, Set::Std),
    ("count", "<a:n>", 1, array::count, Set::Std),
    ("max", "<a<n>:n>", 1, numeric::max, Set::Std),
    ("min", "<a<n>:n>", 1, numeric::min, Set::Std),
    ("average", "<a<n>:n>", 1, numeric::average, Set::Std),
    ("string", "<x-b?:s>", 1, string::string, Set::Std),
    ("substring", "<s-nn?:s>", 3, string::substring, Set::Std),
    ("substringBefore", "<s-s:s>", 2, string::substring_before, Set::Std),
    ("substringAfter", "<s-s:s>", 2, string::substring_after, Set::Std),
    ("lowercase", "<s-:s>", 1, string::lowercase, Set::Std),
    ("uppercase", "<s-:s>", 1, string::uppercase, Set::Std),
    ("length", "<s-:n>", 1, string::length, Set::Std),
    ("trim", "<s-:s>", 1, string::trim, Set::Std),
    ("pad", "<s-ns?:s>", 3, string::pad, Set::Std),
    ("match", "<s-f<s:o>n?:a<o>>", 3, regex::match_fn, Set::Std),
    ("contains", "<s-(sf):b>", 2, regex::contains, Set::Std),
    ("replace", "<s-(sf)(sf)n?:s>", 4, regex::replace, Set::Std),
    ("split", "<s-(sf)n?:a<s>>", 3, regex::split, Set::Std),
    ("join", "<a<s>s?:s>", 2, string::join, Set::Std),
    ("formatNumber", "<n-so?:s>", 3, format_number::format_number, Set::Std),
    ("formatBase", "<n-n?:s>", 2, numeric::format_base, Set::Std),
    ("formatInteger", "<n-s:s>", 2, datetime::format_integer_fn, Set::Std),
    ("parseInteger", "<s-s:n>", 2, datetime::parse_integer_fn, Set::Std),
    ("number", "<(nsb)-:n>", 1, numeric::number, Set::Std),
    ("floor", "<n-:n>", 1, numeric::floor, Set::Std),
    ("ceil", "<n-:n>", 1, numeric::ceil, Set::Std),
    ("round", "<n-n?:n>", 2, numeric::round, Set::Std),
    ("abs", "<n-:n>", 1, numeric::abs, Set::Std),
    ("sqrt", "<n-:n>", 1, numeric::sqrt, Set::Std),
    ("power", "<n-n:n>", 2, numeric::power, Set::Std),
    ("random", "<:n>", 0, numeric::random, Set::StdNotAws),
    ("boolean", "<x-:b>", 1, object::boolean, Set::Std),
    ("not", "<x-:b>", 1, object::not, Set::Std),
    ("map", "<af>", 2, hof::map, Set::Std),
    ("zip", "<a+>", 0, array::zip, Set::Std),
    ("filter", "<af>", 2, hof::filter, Set::Std),
    ("single", "<af?>", 2, hof::single, Set::Std),
    ("reduce", "<afj?:j>", 3, hof::reduce, Set::Std),
    ("sift", "<o-f?:o>", 2, hof::sift, Set::Std),
    ("keys", "<x-:a<s>>", 1, object::keys, Set::Std),
    ("lookup", "<x-s:x>", 2, object::lookup, Set::Std),
    ("append", "<xx:a>", 2, array::append, Set::Std),
    ("exists", "<x:b>", 1, object::exists, Set::Std),
    ("spread", "<x-:a<o>>", 1, object::spread, Set::Std),
    ("merge", "<a<o>:o>", 1, object::merge, Set::Std),
    ("reverse", "<a:a>", 1, array::reverse, Set::Std),
    ("each", "<o-f:a>", 2, hof::each, Set::Std),
    ("error", "<s?:x>", 1, object::error, Set::Std),
    ("assert", "<bs?:x>", 2, object::assert, Set::Std),
    ("type", "<x:s>", 1, object::type_of, Set::Std),
    ("sort", "<af?:a>", 2, hof::sort, Set::Std),
    ("shuffle", "<a:a>", 1, array::shuffle, Set::Std),
    ("distinct", "<x:x>", 1, array::distinct, Set::Std),
    ("base64encode", "<s-:s>", 1, string::base64encode, Set::Std),
    ("base64decode", "<s-:s>", 1, string::base64decode, Set::Std),
    ("encodeUrlComponent", "<s-:s>", 1, string::encode_url_component, Set::Std),
    ("encodeUrl", "<s-:s>", 1, string::encode_url, Set::Std),
    ("decodeUrlComponent", "<s-:s>", 1, string::decode_url_component, Set::Std),
    ("decodeUrl", "<s-:s>", 1, string::decode_url, Set::Std),
    ("eval", "<sx?:x>", 2, object::eval, Set::StdNotAws),
    ("toMillis", "<s-s?:n>", 2, datetime::to_millis, Set::Std),
    ("fromMillis", "<n-s?s?:s>", 3, datetime::from_millis, Set::Std),
    ("clone", "<(oa)-:o>", 1, object::clone, Set::Std),
    ("now", "<s?s?:s>", 2, datetime::now, Set::Std),
    ("millis", "<:n>", 0, datetime::millis, Set::Std),
    // AWS Step Functions additions.
    ("partition", "<an:a>", 2, aws::partition, Set::Aws),
    ("range", "<nnn?:a>", 3, aws::range, Set::Aws),
    ("hash", "<ss:s>", 2, aws::hash, Set::Aws),
    ("random", "<n?:n>", 1, aws::random, Set::Aws),
    ("uuid", "<:s>", 0, aws::uuid, Set::Aws),
    ("parse", "<s-:j>", 1, aws::parse, Set::Aws),
];

struct Registry {
    builtins: Vec<(Builtin, Set)>,
    std: HashMap<&'static str, usize>,
    aws: HashMap<&'static str, usize>,
}

static REGISTRY: LazyLock<Registry> = LazyLock::new(|| {
    let mut builtins = Vec::with_capacity(TABLE.len());
    let mut std = HashMap::new();
    let mut aws = HashMap::new();
    for (i, (name, sig, arity, func, set)) in TABLE.iter().enumerate() {
        let signature = Signature::parse(sig).expect("built-in signatures are valid");
        builtins.push((
            Builtin {
                name,
                signature,
                arity: *arity,
                func: *func,
            },
            *set,
        ));
        match set {
            Set::Std => {
                std.insert(*name, i);
                aws.insert(*name, i);
            }
            Set::StdNotAws => {
                std.insert(*name, i);
            }
            Set::Aws => {
                aws.insert(*name, i);
            }
        }
    }
    Registry { builtins, std, aws }
});

/// The built-in bound to `$name`, if any, in the standard or AWS function set.
pub(crate) fn lookup_builtin(name: &str, aws: bool) -> Option<&'static Builtin> {
    let reg: &'static Registry = &REGISTRY;
    let map = if aws { &reg.aws } else { &reg.std };
    map.get(name).map(|&i| &reg.builtins[i].0)
}

/// Argument `i`, or undefined.
pub(crate) fn arg<'a>(args: &[Value<'a>], i: usize) -> Value<'a> {
    args.get(i).cloned().unwrap_or_default()
}
