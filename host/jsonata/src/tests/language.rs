//! Paths, sequences, operators, binding, lambdas and the other language constructs.

use serde_json::json;

use super::{code, ev, sample, undefined, v0, val};

#[test]
fn field_paths_map_over_arrays_and_flatten() {
    assert_eq!(
        val("Account.Order.Product.Name", sample()),
        json!(["Bowler Hat", "Trilby hat", "Bowler Hat", "Cloak"])
    );
    assert_eq!(val("Account.Name", sample()), json!("Firefly"));
    assert!(undefined("Account.Missing.Field", sample()));
}

#[test]
fn singleton_sequences_unwrap_and_brackets_keep_arrays() {
    let input = json!({"a": [{"b": 1}]});
    assert_eq!(val("a.b", input.clone()), json!(1));
    assert_eq!(val("a.b[]", input.clone()), json!([1]));
    assert_eq!(val("a[].b", input), json!([1]));
}

#[test]
fn numeric_predicates_index_from_either_end() {
    assert_eq!(val("Account.Order[0].OrderID", sample()), json!("order103"));
    assert_eq!(val("Account.Order[-1].OrderID", sample()), json!("order104"));
    assert_eq!(val("$[1]", json!([10, 20, 30])), json!(20));
    assert!(undefined("$[5]", json!([10, 20, 30])));
}

#[test]
fn boolean_predicates_filter() {
    assert_eq!(val("Account.Order.Product[Price > 100].Name", sample()), json!("Cloak"));
    assert_eq!(val("$[$ > 1]", json!([1, 2, 3])), json!([2, 3]));
}

#[test]
fn order_by_sorts_stably_both_directions() {
    assert_eq!(
        val("Account.Order.Product^(>Price, Name).Name", sample()),
        json!(["Cloak", "Bowler Hat", "Bowler Hat", "Trilby hat"])
    );
    assert_eq!(val("$^($)", json!([3, 1, 2])), json!([1, 2, 3]));
}

#[test]
fn group_by_object_constructor_aggregates() {
    assert_eq!(
        val("Account.Order.Product{Name: $sum(Quantity)}", sample()),
        json!({"Bowler Hat": 6, "Trilby hat": 1, "Cloak": 1})
    );
    assert_eq!(code("{1: 2}", json!({})), "T1003");
}

#[test]
fn object_constructor_preserves_key_order() {
    let v = val("{'z': 1, 'a': 2, 'm': 3}", json!(null));
    assert_eq!(v.as_object().unwrap().keys().collect::<Vec<_>>(), ["z", "a", "m"]);
}

#[test]
fn integer_like_keys_enumerate_first_as_in_javascript() {
    let v = val("{'b': 1, '10': 2, '2': 3, '01': 4}", json!(null));
    assert_eq!(
        v.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["2", "10", "b", "01"]
    );
    let input: serde_json::Value = serde_json::from_str(r#"{"x": 1, "1": 2}"#).unwrap();
    assert_eq!(val("$keys($)", input.clone()), json!(["1", "x"]));
    assert_eq!(val("$", input).to_string(), r#"{"1":2,"x":1}"#);
}

#[test]
fn parent_operator_reaches_enclosing_object() {
    assert_eq!(
        val("Account.Order.Product.{'n': Name, 'o': %.OrderID}[0]", sample()),
        json!({"n": "Bowler Hat", "o": "order103"})
    );
    assert_eq!(code("%", json!({})), "S0217");
}

#[test]
fn index_and_context_bindings() {
    assert_eq!(
        val("Account.Order#$i.(OrderID & $string($i))", sample()),
        json!(["order1030", "order1041"])
    );
    assert_eq!(
        val(
            "Account.Order@$o.$o.Product[Price > 100].{'order': $o.OrderID}",
            sample()
        ),
        json!({"order": "order104"})
    );
}

#[test]
fn range_concat_and_conditionals() {
    assert_eq!(v0("[1..4]"), json!([1, 2, 3, 4]));
    assert_eq!(v0("'a' & 1 & true"), json!("a1true"));
    assert_eq!(v0("1 < 2 ? 'yes' : 'no'"), json!("yes"));
    assert_eq!(v0("[1,2] ~> $count()"), json!(2));
    assert_eq!(code("[1..'a']", json!(null)), "T2004");
}

#[test]
fn two_point_zero_has_no_coalescing_operators() {
    // `??` and `?:` arrived in JSONata 2.1; 2.0.6 rejects them.
    assert!(ev("a ?? 1", json!({})).is_err());
}

#[test]
fn arithmetic_and_comparison_errors() {
    assert_eq!(v0("7 % 3 + 2 * 3 - 1 / 2"), json!(6.5));
    assert_eq!(code("'a' + 1", json!(null)), "T2001");
    assert_eq!(code("1 + 'a'", json!(null)), "T2002");
    assert_eq!(code("1 < 'a'", json!(null)), "T2009");
    assert_eq!(code("-'a'", json!(null)), "D1002");
    assert_eq!(v0("1 = 1.0 and 'a' != 'b' and 2 in [1,2]"), json!(true));
}

#[test]
fn blocks_scope_bindings() {
    assert_eq!(v0("($a := 1; ($a := 2); $a)"), json!(1));
    assert_eq!(code("1 := 2", json!(null)), "S0212");
}

#[test]
fn lambdas_closures_and_partial_application() {
    assert_eq!(v0("($add := function($x, $y){$x + $y}; $add(1, 2))"), json!(3));
    assert_eq!(v0("($mk := λ($n){function($x){$x * $n}}; $mk(3)(4))"), json!(12));
    assert_eq!(v0("($first := $substring(?, 0, 1); $first('hello'))"), json!("h"));
    assert_eq!(
        v0("($inc := function($x){$x+1}; $dbl := function($x){$x*2}; ($inc ~> $dbl)(3))"),
        json!(8)
    );
    assert_eq!(code("$foo()", json!(null)), "T1006");
    assert_eq!(code("sum(1)", json!({})), "T1005");
}

#[test]
fn closures_keep_their_frames_after_the_call_returns() {
    assert_eq!(
        v0("$map($map([1,2,3], function($v){ ($w := $v * 10; function(){$w + $v}) }), function($f){$f()})"),
        json!([11, 22, 33])
    );
}

#[test]
fn tail_calls_run_in_constant_stack() {
    assert_eq!(
        v0("($loop := function($n, $acc){$n = 0 ? $acc : $loop($n - 1, $acc + 1)}; $loop(50000, 0))"),
        json!(50000)
    );
}

#[test]
fn signatures_validate_arguments() {
    assert_eq!(code("$substring('a', 'b')", json!(null)), "T0410");
    // A missing `-` argument is taken from the context, which must then fit the type.
    assert_eq!(code("$substring(1, 2)", json!(null)), "T0411");
    assert_eq!(val("$substring(1, 2)", json!("abcd")), json!("bc"));
    assert_eq!(code("(function($x)<n:n>{$x})('a')", json!(null)), "T0410");
    assert_eq!(code("$sum(['a'])", json!(null)), "T0412");
    assert_eq!(v0("(function($x)<n-:n>{$x * 2})(4)"), json!(8));
}

#[test]
fn regex_literals_are_callable_and_usable() {
    assert_eq!(v0("/a(b)/('xabc').groups"), json!(["b"]));
    assert_eq!(v0("$contains('Hello', /l+/)"), json!(true));
    assert_eq!(code("/abc", json!(null)), "S0302");
}

#[test]
fn transform_copies_and_updates() {
    let input = json!({"a": {"b": 1, "c": 2}});
    assert_eq!(val("$ ~> |a|{'b': 10}, ['c']|", input.clone()), json!({"a": {"b": 10}}));
    assert_eq!(val("a", input), json!({"b": 1, "c": 2}));
    assert_eq!(code("$ ~> |a|5|", json!({"a": {}})), "T2011");
}

#[test]
fn wildcards_descendants_and_backticks() {
    assert_eq!(val("*", json!({"a": 1, "b": [2, 3]})), json!([1, 2, 3]));
    assert_eq!(val("**.x", json!({"a": {"x": 1, "b": {"x": 2}}})), json!([1, 2]));
    assert_eq!(val("`a b`", json!({"a b": 5})), json!(5));
}

#[test]
fn string_escapes_and_comments() {
    assert_eq!(v0("/* note */ 'a\\tb\\u0041'"), json!("a\tbA"));
    assert_eq!(code("'abc", json!(null)), "S0101");
    assert_eq!(code("/* open", json!(null)), "S0106");
}

#[test]
fn dollar_and_double_dollar_address_input_and_root() {
    assert_eq!(val("$", json!([1, 2])), json!([1, 2]));
    assert_eq!(val("a.($$.b)", json!({"a": {"x": 1}, "b": 7})), json!(7));
}

#[test]
fn integral_results_are_json_integers() {
    assert_eq!(v0("2.0 * 3").to_string(), "6");
    assert_eq!(v0("0.1 + 0.2").to_string(), "0.30000000000000004");
    assert_eq!(code("1/0", json!(null)), "D1001");
    // Input floats with integral values read back as integers, nested or not.
    let input: serde_json::Value = serde_json::from_str(r#"{"a": 1.0, "b": [2.0, 2.5]}"#).unwrap();
    assert_eq!(val("$", input.clone()).to_string(), r#"{"a":1,"b":[2,2.5]}"#);
    assert_eq!(val("a", input).to_string(), "1");
}
