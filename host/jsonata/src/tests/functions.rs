//! Built-in function behaviour.

use serde_json::json;

use super::{code, ev, v0, val, val_env};
use crate::Env;

#[test]
fn string_function_family() {
    assert_eq!(v0("$substring('hello world', -5, 3)"), json!("wor"));
    assert_eq!(
        v0("$substringBefore('a-b-c', '-') & $substringAfter('a-b-c', '-')"),
        json!("ab-c")
    );
    assert_eq!(v0("$uppercase('aé') & $lowercase('AB')"), json!("AÉab"));
    assert_eq!(v0("$length('h😀')"), json!(2));
    assert_eq!(v0("$trim('  a \n b  ')"), json!("a b"));
    assert_eq!(v0("$pad('x', 3, '#') & $pad('y', -3)"), json!("x##  y"));
    assert_eq!(v0("$join(['a','b'], ',')"), json!("a,b"));
    assert_eq!(v0("$split('a,b,c', ',', 2)"), json!(["a", "b"]));
    assert_eq!(v0("$replace('abcabc', 'b', 'X', 1)"), json!("aXcabc"));
    assert_eq!(
        v0("$replace('John Smith', /(\\w+)\\s(\\w+)/, '$2, $1')"),
        json!("Smith, John")
    );
    assert_eq!(v0("$match('a1b22', /\\d+/).match"), json!(["1", "22"]));
    assert_eq!(code("$replace('a', '', 'b')", json!(null)), "D3010");
    assert_eq!(code("$match('aaa', /x*/)", json!(null)), "D1004");
}

#[test]
fn string_conversion_matches_javascript() {
    assert_eq!(v0("$string(1e21)"), json!("1e+21"));
    assert_eq!(v0("$string(0.1 + 0.2)"), json!("0.3"));
    assert_eq!(v0("$string({'a': [1, true, null]})"), json!("{\"a\":[1,true,null]}"));
    assert_eq!(v0("$string({'a': 1}, true)"), json!("{\n  \"a\": 1\n}"));
    assert_eq!(v0("$string(function(){1})"), json!(""));
    assert_eq!(code("$string(1/0)", json!(null)), "D3001");
}

#[test]
fn numeric_function_family() {
    assert_eq!(
        v0("[$round(2.5), $round(3.5), $round(-0.5), $round(1.2345, 2)]"),
        json!([2, 4, 0, 1.23])
    );
    assert_eq!(
        v0("[$floor(1.5), $ceil(1.2), $abs(-3), $sqrt(16), $power(2, 10)]"),
        json!([1, 2, 3, 4, 1024])
    );
    assert_eq!(
        v0("[$sum([1,2]), $max([1,3]), $min([4,2]), $average([1,2,3])]"),
        json!([3, 3, 2, 2])
    );
    assert_eq!(
        v0("[$number('0x1F'), $number('0b11'), $number('0o17'), $number('1e3'), $number(true)]"),
        json!([31, 3, 15, 1000, 1])
    );
    assert_eq!(code("$number('abc')", json!(null)), "D3030");
    assert_eq!(code("$sqrt(-1)", json!(null)), "D3060");
    assert_eq!(code("$power(10, 400)", json!(null)), "D3061");
    let r = v0("$random()").as_f64().unwrap();
    assert!((0.0..1.0).contains(&r));
}

#[test]
fn number_formatting_functions() {
    assert_eq!(v0("$formatNumber(1234.5678, '#,##0.00')"), json!("1,234.57"));
    assert_eq!(v0("$formatNumber(0.14, '0%')"), json!("14%"));
    assert_eq!(v0("$formatBase(255, 16)"), json!("ff"));
    assert_eq!(v0("$formatInteger(1999, 'I')"), json!("MCMXCIX"));
    assert_eq!(v0("$formatInteger(21, 'w;o')"), json!("twenty-first"));
    assert_eq!(v0("$parseInteger('twelve', 'w')"), json!(12));
    assert_eq!(v0("$parseInteger('1,234', '#,##0')"), json!(1234));
    assert_eq!(code("$formatBase(1, 40)", json!(null)), "D3100");
}

#[test]
fn array_function_family() {
    assert_eq!(v0("$count([1,2,3])"), json!(3));
    assert_eq!(v0("$append([1], 2)"), json!([1, 2]));
    assert_eq!(v0("$reverse([1,2,3])"), json!([3, 2, 1]));
    assert_eq!(v0("$distinct([1,2,1,'a','a'])"), json!([1, 2, "a"]));
    assert_eq!(v0("$zip([1,2],[3,4,5])"), json!([[1, 3], [2, 4]]));
    assert_eq!(v0("$count($shuffle([1,2,3,4]))"), json!(4));
    assert_eq!(v0("$sort([3,1,2])"), json!([1, 2, 3]));
    assert_eq!(v0("$sort(['b','a'], function($a, $b){$a < $b})"), json!(["b", "a"]));
    assert_eq!(code("$sort([1,'a'])", json!(null)), "D3070");
}

#[test]
fn object_function_family() {
    let o = json!({"a": 1, "b": {"c": 2}});
    assert_eq!(val("$keys($)", o.clone()), json!(["a", "b"]));
    assert_eq!(val("$lookup($, 'a')", o.clone()), json!(1));
    assert_eq!(val("$spread($)", json!({"a": 1, "b": 2})), json!([{"a": 1}, {"b": 2}]));
    assert_eq!(v0("$merge([{'a':1},{'b':2},{'a':3}])"), json!({"a": 3, "b": 2}));
    assert_eq!(val("$sift($, function($v){$v = 1})", o.clone()), json!({"a": 1}));
    assert_eq!(val("$each($, function($v, $k){$k})", o.clone()), json!(["a", "b"]));
    assert_eq!(val("$exists(b.c) and $not($exists(b.d))", o.clone()), json!(true));
    assert_eq!(
        v0("[$type(1), $type('s'), $type(null), $type([]), $type({}), $type($type)]"),
        json!(["number", "string", "null", "array", "object", "function"])
    );
    assert_eq!(val("$clone($)", o), json!({"a": 1, "b": {"c": 2}}));
}

#[test]
fn boolean_truthiness_rules() {
    assert_eq!(
        v0(
            "[$boolean(0), $boolean(''), $boolean([]), $boolean([0]), $boolean([0, 1]), $boolean({}), $boolean({'a':1}), $boolean('0')]"
        ),
        json!([false, false, false, false, true, false, true, true])
    );
}

#[test]
fn higher_order_functions() {
    assert_eq!(v0("$map([1,2,3], function($v, $i){$v * $i})"), json!([0, 2, 6]));
    assert_eq!(v0("$filter([1,2,3,4], function($v){$v % 2 = 0})"), json!([2, 4]));
    assert_eq!(v0("$reduce([1,2,3], function($a, $b){$a + $b}, 10)"), json!(16));
    assert_eq!(v0("$single([1,2,3], function($v){$v = 2})"), json!(2));
    assert_eq!(code("$single([1,2,3], function($v){$v > 1})", json!(null)), "D3138");
    assert_eq!(code("$reduce([1], function($a){$a})", json!(null)), "D3050");
    assert_eq!(v0("$map(['a','b'], $uppercase)"), json!(["A", "B"]));
}

#[test]
fn error_and_assert_raise_with_messages() {
    let e = ev("$error('boom')", json!(null)).unwrap_err();
    assert_eq!(e.to_string(), "D3137: boom");
    let e = ev("$assert(false, 'nope')", json!(null)).unwrap_err();
    assert_eq!(e.to_string(), "D3141: nope");
    assert!(ev("$assert(true)", json!(null)).unwrap().is_none());
}

#[test]
fn url_and_base64_encoding() {
    assert_eq!(v0("$encodeUrlComponent('a b&c')"), json!("a%20b%26c"));
    assert_eq!(v0("$encodeUrl('https://x.y/a b?q=1')"), json!("https://x.y/a%20b?q=1"));
    assert_eq!(v0("$decodeUrlComponent('a%20b%26c')"), json!("a b&c"));
    assert_eq!(v0("$decodeUrl('a%20b%26c')"), json!("a b%26c"));
    assert_eq!(v0("$base64encode('hello')"), json!("aGVsbG8="));
    assert_eq!(v0("$base64decode('aGVsbG8=')"), json!("hello"));
    // Node's 'binary' (Latin-1) encoding, as jsonata-js uses.
    assert_eq!(v0("$base64encode('é')"), json!("6Q=="));
    assert_eq!(v0("$base64decode('6Q')"), json!("é"));
    assert_eq!(code("$decodeUrl('%E0%A4%A')", json!(null)), "D3140");
}

#[test]
fn dates_use_the_supplied_clock_consistently() {
    let env = Env::new().now_millis(1_700_000_000_123);
    assert_eq!(val_env("$millis()", &env), json!(1_700_000_000_123i64));
    assert_eq!(val_env("$now()", &env), json!("2023-11-14T22:13:20.123Z"));
    assert_eq!(val_env("$now() = $now() and $millis() = $millis()", &env), json!(true));
    assert_eq!(
        val_env("$now('[Y0001]-[M01]-[D01]', '+0100')", &env),
        json!("2023-11-14")
    );
}

#[test]
fn from_and_to_millis_with_pictures() {
    assert_eq!(v0("$fromMillis(1521801216617)"), json!("2018-03-23T10:33:36.617Z"));
    assert_eq!(
        v0("$fromMillis(1521801216617, '[D1o] [MNn] [Y]')"),
        json!("23rd March 2018")
    );
    assert_eq!(
        v0("$fromMillis(1521801216617, '[h]:[m01] [P]', '-0500')"),
        json!("5:33 am")
    );
    assert_eq!(v0("$toMillis('2018-03-23T10:33:36.617Z')"), json!(1521801216617i64));
    assert_eq!(v0("$toMillis('23/03/2018', '[D]/[M]/[Y]')"), json!(1521763200000i64));
    assert_eq!(code("$toMillis('yesterday')", json!(null)), "D3110");
    assert_eq!(
        v0("$toMillis('twenty-first August two thousand and seventeen', '[Dw] [MNn] [Yw]')"),
        json!(1503273600000i64)
    );
}

#[test]
fn eval_parses_and_evaluates_at_runtime() {
    assert_eq!(val("$eval('a + 1')", json!({"a": 2})), json!(3));
    assert_eq!(code("$eval('1 +')", json!(null)), "D3120");
}

#[test]
fn custom_matcher_functions_drive_match_and_split() {
    let m = "($m := function($s){ $contains($s, 'x') ? {'match': 'x', 'start': $length($substringBefore($s, 'x')), \
             'end': $length($substringBefore($s, 'x')) + 1, 'groups': []} }; ";
    assert_eq!(v0(&format!("{m} $match('abxcd', $m).index)")), json!(2));
    assert_eq!(v0(&format!("{m} $split('abxcd', $m))")), json!(["ab", "cd"]));
    assert_eq!(code("$split('some text', $uppercase)", json!(null)), "T1010");
}
