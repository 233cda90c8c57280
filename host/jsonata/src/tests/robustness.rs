//! Limits: deep nesting, runaway recursion, huge ranges, big inputs, unsupported results.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::{code, v0, val};
use crate::{Env, ErrorKind, Expression, UNSUPPORTED_RESULT};

fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn deeply_nested_brackets_are_a_parse_error_not_a_crash() {
    on_small_stack(|| {
        for (open, close) in [("(", ")"), ("[", "]"), ("{'a':", "}")] {
            let src = format!("{}1{}", open.repeat(10_000), close.repeat(10_000));
            assert!(Expression::parse(&src).is_err());
        }
        let ok = format!("{}1{}", "(".repeat(200), ")".repeat(200));
        assert!(Expression::parse(&ok).is_ok());
    });
}

#[test]
fn infinite_recursion_is_u1001_on_a_2mib_stack() {
    on_small_stack(|| {
        for src in [
            "($f := function($x){$f($x)}; $f(1))",
            "($f := function($x){1 + $f($x)}; $f(1))",
        ] {
            let e = Expression::parse(src).unwrap().evaluate(None, &Env::new()).unwrap_err();
            assert_eq!(e.code, "U1001", "{src}");
            assert_eq!(e.kind(), ErrorKind::Limit);
        }
    });
}

#[test]
fn time_limit_stops_runaway_computation() {
    let env = Env::new().time_limit(std::time::Duration::from_millis(50));
    let src = "($fib := function($x){$x <= 1 ? $x : $fib($x - 1) + $fib($x - 2)}; $fib(60))";
    let e = Expression::parse(src).unwrap().evaluate(None, &env).unwrap_err();
    assert_eq!(
        e.to_string(),
        "U1001: Expression evaluation timeout: Check for infinite loop"
    );
}

#[test]
fn deep_non_tail_recursion_within_the_limit_succeeds() {
    on_small_stack(|| {
        let e = Expression::parse("($f := function($n){$n = 0 ? 0 : 1 + $f($n - 1)}; $f(1000))").unwrap();
        assert_eq!(e.evaluate(None, &Env::new()).unwrap(), Some(json!(1000)));
    });
}

#[test]
fn deeply_nested_constructed_values_drop_safely() {
    on_small_stack(|| {
        let src = "($f := function($x, $n){$n = 0 ? $exists($x) : $f({'a': $x}, $n - 1)}; $f(1, 50000))";
        assert_eq!(
            Expression::parse(src).unwrap().evaluate(None, &Env::new()).unwrap(),
            Some(json!(true))
        );
        let src = "($f := function($x, $n){$n = 0 ? $x : $f({'a': $x}, $n - 1)}; $f(1, 5000))";
        let e = Expression::parse(src).unwrap().evaluate(None, &Env::new()).unwrap_err();
        assert_eq!(e.code, "U1001");
        // Just under the result depth cap: converted, returned and dropped by the caller.
        let src = "($f := function($x, $n){$n = 0 ? $x : $f({'a': $x}, $n - 1)}; $f(1, 499))";
        assert!(
            Expression::parse(src)
                .unwrap()
                .evaluate(None, &Env::new())
                .unwrap()
                .is_some()
        );
    });
}

#[test]
fn string_sizes_are_bounded() {
    assert_eq!(code("$pad('', 1e12)", json!(null)), crate::LIMIT_EXCEEDED);
    assert_eq!(
        code("$formatInteger(1, '0') & $pad('x', 600000000)", json!(null)),
        crate::LIMIT_EXCEEDED
    );
    assert_eq!(
        v0("$length($formatInteger(7, '#' & $join($map([1..20000], function(){'0'}))))"),
        json!(10_000)
    );
}

#[test]
fn range_size_is_bounded() {
    assert_eq!(code("[1..10000001]", json!(null)), "D2014");
    assert_eq!(v0("$count([1..100000])"), json!(100000));
}

#[test]
fn huge_inputs_are_read_in_place() {
    let items: Vec<Value> = (0..200_000)
        .map(|i| json!({"id": i, "tag": if i % 2 == 0 { "even" } else { "odd" }}))
        .collect();
    let input = json!({ "items": items });
    assert_eq!(val("$count(items[tag = 'even'])", input.clone()), json!(100_000));
    assert_eq!(val("items[-1].id", input), json!(199_999));
}

#[test]
fn variables_come_from_the_callers_lookup() {
    let mut vars: HashMap<String, Value> = HashMap::new();
    vars.insert("states".into(), json!({"input": {"a": {"b": 5}}}));
    let env = Env::new().with_variables(&vars);
    let e = Expression::parse("$states.input.a.b + 1").unwrap();
    assert_eq!(e.evaluate(None, &env).unwrap(), Some(json!(6)));
    assert_eq!(e.source(), "$states.input.a.b + 1");
}

#[test]
fn function_results_are_reported_as_unsupported() {
    let e = Expression::parse("function($x){$x}")
        .unwrap()
        .evaluate(None, &Env::new())
        .unwrap_err();
    assert_eq!(e.code, UNSUPPORTED_RESULT);
    assert_eq!(e.kind(), ErrorKind::UnsupportedResult);
    let e = Expression::parse("{'f': $sum}")
        .unwrap()
        .evaluate(None, &Env::new())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnsupportedResult);
}

#[test]
fn undefined_input_and_results() {
    let e = Expression::parse("$").unwrap();
    assert_eq!(e.evaluate(None, &Env::new()).unwrap(), None);
    assert_eq!(e.evaluate(Some(&json!(3)), &Env::new()).unwrap(), Some(json!(3)));
}

#[test]
fn expressions_are_send_sync_and_clone() {
    fn check<T: Send + Sync + Clone>() {}
    check::<Expression>();
    let e = Expression::parse("($f := function($x){$x * 2}; $f(a))").unwrap();
    let copy = e.clone();
    drop(e);
    assert_eq!(
        copy.evaluate(Some(&json!({"a": 4})), &Env::new()).unwrap(),
        Some(json!(8))
    );
}

#[test]
fn frames_are_released_after_calls_blocks_and_tail_calls() {
    for src in [
        "$map([1..10000], function($v){ ($x := $v; $x * 2) })",
        "($loop := function($n){ $n = 0 ? 0 : ($m := $n - 1; $loop($m)) }; $loop(10000))",
        "[1..10000]@$i.($i * 2)",
    ] {
        let node = crate::process::build(src).unwrap();
        let arena = std::cell::OnceCell::new();
        let ctx = crate::eval::Ctx::new(crate::value::Value::Undefined, None, false, 0, &arena);
        ctx.eval(&node, &crate::value::Value::Undefined, ctx.root()).unwrap();
        assert!(ctx.frame_count() < 10, "{src}: {} frames left", ctx.frame_count());
    }
}

#[test]
fn odd_integer_pictures_do_not_panic() {
    assert_eq!(v0("$formatInteger(5, '01(')"), json!("05"));
    assert_eq!(v0("$fromMillis(0, '[M0}1]')"), json!("0}1"));
    assert_eq!(code("$formatNumber(0.123, '#.e')", json!(null)), "D3093");
}

/// Cheap deterministic fuzzing: mutated expressions must parse or fail cleanly, never panic.
#[test]
fn mutated_expressions_never_panic() {
    const SEEDS: &[&str] = &[
        "Account.Order[0].Product.(Price * Quantity)",
        "$sum(Account.Order.Product.(Price*Quantity))",
        "Account.Order.Product{Name: $sum(Quantity)}",
        "Account.Order#$i.Product@$p[$p.Price > 30].{'i': $i, 'n': %.OrderID}",
        "($f := function($n){$n < 2 ? $n : $f($n-1) + $f($n-2)}; $f(10))",
        "$formatNumber(1234.5, '#,##0.00;(#)')",
        "$fromMillis(1521801216617, '[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]')",
        "$toMillis('2018-03-23', '[Y]-[M]-[D]')",
        "$replace('abc', /(b)/, '[$1]') & $split('a,b', /,/)[0]",
        "$ ~> |Account.Order.Product|{'Total': Price * Quantity}, ['SKU']|",
        "$sort(Account.Order.Product, function($a, $b){$a.Price > $b.Price})^(Name)",
        "[1..5].($ * 2)[$ > 4] ~> $reduce(function($a, $b){$a + $b})",
        "$formatInteger(1234, 'w;o') & $parseInteger('XIV', 'I')",
    ];
    const INSERTS: &[&str] = &[
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        "$",
        ".",
        "..",
        "%",
        "#$i",
        "@$v",
        "^(",
        "~>",
        "|",
        "?",
        ":",
        "'",
        "\"",
        "/",
        "*",
        "**",
        "-",
        "?",
        ",",
        ";",
        ":=",
        "\\",
        "`",
        "1e400",
        "[,",
        "<n>",
        "function($x){$x}",
        "\u{1F600}",
        "é",
        "0}",
        "$eval('",
    ];
    let input = super::sample();
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut rnd = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    for _ in 0..4000 {
        let mut chars: Vec<char> = SEEDS[rnd(SEEDS.len())].chars().collect();
        for _ in 0..1 + rnd(3) {
            let pos = rnd(chars.len() + 1);
            match rnd(3) {
                0 if pos < chars.len() => {
                    chars.remove(pos);
                }
                1 => {
                    let ins: Vec<char> = INSERTS[rnd(INSERTS.len())].chars().collect();
                    chars.splice(pos..pos, ins);
                }
                _ => chars.truncate(pos),
            }
        }
        let src: String = chars.into_iter().collect();
        let _ = Expression::parse(&src).and_then(|e| e.evaluate(Some(&input), &Env::new()));
    }
}

/// Random picture strings for every picture-driven function: errors are fine, panics and
/// runaway work are not.
#[test]
fn random_pictures_never_panic() {
    let alphabet: Vec<char> = "[]]YMDdFWwXxHhPmsfZzCE0123456789#,,-*;.%\u{2030}eoNnWwIiAa:t$ (){}\u{661}"
        .chars()
        .collect();
    let mut seed: u64 = 987_654_321;
    let mut rnd = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let nums = [
        "0",
        "1",
        "-1",
        "1234567.891",
        "1e20",
        "0.000123",
        "-98765.4321",
        "1521801216617",
    ];
    for _ in 0..1500 {
        let pic: String = (0..1 + rnd(12)).map(|_| alphabet[rnd(alphabet.len())]).collect();
        let num = nums[rnd(nums.len())];
        for src in [
            format!("$fromMillis({num}, '{pic}')"),
            format!("$fromMillis({num}, '[{pic}]', '+0530')"),
            format!("$toMillis('2018-03-23 10:11', '{pic}')"),
            format!("$formatNumber({num}, '{pic}')"),
            format!("$formatInteger({num}, '{pic}')"),
            format!("$parseInteger('12,345', '{pic}')"),
        ] {
            let _ = Expression::parse(&src).and_then(|e| e.evaluate(None, &Env::new().now_millis(0)));
        }
    }
}
