use super::*;
use serde_json::json;

fn run_with(src: &str, input: Value) -> Result<Value, IntrinsicError> {
    let context = json!({"StateMachine": {"Id": "arn:sm", "Name": "my-machine-name"}, "Execution": {"Name": "exec"}});
    let mut variables = Map::new();
    variables.insert("name".into(), json!("John"));
    variables.insert("nums".into(), json!([1, 2]));
    let roots = Roots {
        input: &input,
        context: &context,
        variables: &variables,
    };
    IntrinsicCall::parse(src)
        .unwrap_or_else(|e| panic!("{e}"))
        .evaluate(&roots)
}

fn run(src: &str) -> Value {
    run_with(src, json!({})).unwrap_or_else(|e| panic!("{src}: {e}"))
}

fn fails(src: &str, input: Value) -> String {
    run_with(src, input).unwrap_err().to_string()
}

#[test]
fn format_interpolates_like_aws() {
    let input = json!({"s": "HelloWorld", "e": "", "n": null, "i": 1, "f": 1.1, "b": true, "j": "{\"Arg1\": 1}"});
    let cases = [
        (
            "States.Format('Formatting argument {}.', $.s)",
            "Formatting argument HelloWorld.",
        ),
        ("States.Format('Formatting argument {}.', $.e)", "Formatting argument ."),
        (
            "States.Format('Formatting argument {}.', $.n)",
            "Formatting argument null.",
        ),
        (
            "States.Format('Formatting argument {}.', $.i)",
            "Formatting argument 1.",
        ),
        (
            "States.Format('Formatting argument {}.', $.f)",
            "Formatting argument 1.1.",
        ),
        ("States.Format('{} {}', $.b, $.j)", "true {\"Arg1\": 1}"),
        (
            "States.Format('Your name is {}, we are in the year {}', $name, 2020)",
            "Your name is John, we are in the year 2020",
        ),
        ("States.Format('no slots')", "no slots"),
        (
            "States.Format('Welcome to {} {}\\'s playlist.', 'A', 'B')",
            "Welcome to A B's playlist.",
        ),
        ("States.Format('literal \\{\\} braces {}', 1)", "literal {} braces 1"),
        ("States.Format('{}', 1.0E20)", "1.0E20"),
    ];
    for (src, expected) in cases {
        assert_eq!(run_with(src, input.clone()).unwrap(), json!(expected), "{src}");
    }
}

#[test]
fn format_prints_objects_and_arrays_as_java_collections() {
    assert_eq!(
        run("States.Format('fst={} and snd={}.', $$.Execution.Name, $$.StateMachine)"),
        json!("fst=exec and snd={Id=arn:sm, Name=my-machine-name}.")
    );
    assert_eq!(run("States.Format('{}', $nums)"), json!("[1, 2]"));
}

#[test]
fn format_takes_its_template_from_a_path() {
    let input = json!({"template": "Hello, my name is {}.", "name": "Arnav"});
    assert_eq!(
        run_with("States.Format($.template, $.name)", input).unwrap(),
        json!("Hello, my name is Arnav.")
    );
}

#[test]
fn format_placeholder_count_must_match() {
    assert_eq!(
        fails("States.Format('{} {}', 1)", json!({})),
        "Invalid arguments in States.Format: The template has 2 placeholder(s) but 1 argument(s) follow it"
    );
    assert!(fails("States.Format($.t)", json!({"t": 5})).contains("must be a string"));
}

#[test]
fn string_to_json_parses_every_json_type() {
    let cases = [
        ("null", json!(null)),
        ("-0", json!(0)),
        ("1.1", json!(1.1)),
        ("true", json!(true)),
        ("[1, 2, \"HelloWorld\"]", json!([1, 2, "HelloWorld"])),
        ("{\"Arg1\": 1, \"Arg2\": []}", json!({"Arg1": 1, "Arg2": []})),
    ];
    for (text, expected) in cases {
        let got = run_with("States.StringToJson($.s)", json!({"s": text})).unwrap();
        assert_eq!(got, expected, "{text}");
        assert_eq!(
            serde_json::to_string(&got).unwrap(),
            serde_json::to_string(&expected).unwrap()
        );
    }
    assert_eq!(
        run("States.StringToJson('{\"constant_in_literal\": \"false\"}')"),
        json!({"constant_in_literal": "false"})
    );
    assert!(
        fails("States.StringToJson($.s)", json!({"s": "{bad"})).starts_with("Invalid arguments in States.StringToJson")
    );
    assert!(fails("States.StringToJson($.s)", json!({"s": 1})).contains("must be a string"));
}

#[test]
fn json_to_string_is_compact_jackson_json() {
    let cases = [
        (json!(null), "null"),
        (json!(1), "1"),
        (json!(1.1), "1.1"),
        (json!(true), "true"),
        (json!("HelloWorld"), "\"HelloWorld\""),
        (json!([1, 2, "HelloWorld"]), "[1,2,\"HelloWorld\"]"),
        (json!({"test": "object"}), "{\"test\":\"object\"}"),
    ];
    for (value, expected) in cases {
        assert_eq!(
            run_with("States.JsonToString($.v)", json!({"v": value})).unwrap(),
            json!(expected)
        );
    }
}

#[test]
fn array_builds_from_any_arguments() {
    assert_eq!(run("States.Array()"), json!([]));
    let input = json!({"someJson": {"random": "abcdefg"}});
    assert_eq!(
        run_with("States.Array('Foo', 2020, $.someJson, null)", input).unwrap(),
        json!(["Foo", 2020, {"random": "abcdefg"}, null])
    );
}

#[test]
fn array_partition_chunks() {
    let input = json!({"a": [1, 2, 3, 4, 5, 6, 7, 8, 9], "e": [], "one": [0]});
    assert_eq!(
        run_with("States.ArrayPartition($.a, 4)", input.clone()).unwrap(),
        json!([[1, 2, 3, 4], [5, 6, 7, 8], [9]])
    );
    assert_eq!(
        run_with("States.ArrayPartition($.e, 3)", input.clone()).unwrap(),
        json!([])
    );
    assert_eq!(
        run_with("States.ArrayPartition($.one, 5)", input.clone()).unwrap(),
        json!([[0]])
    );
    assert!(fails("States.ArrayPartition($.a, 0)", input.clone()).contains("positive"));
    assert!(fails("States.ArrayPartition($.a, 1.5)", input.clone()).contains("integer"));
    assert!(fails("States.ArrayPartition('x', 2)", input).contains("must be an array"));
}

#[test]
fn array_contains_compares_json_values() {
    let input = json!({"objs": [{"1": 2, "2": []}], "bools": [true, false], "e": []});
    assert_eq!(
        run_with("States.ArrayContains($.e, 1)", input.clone()).unwrap(),
        json!(false)
    );
    assert_eq!(
        run_with("States.ArrayContains($.objs, $.objs[0])", input.clone()).unwrap(),
        json!(true)
    );
    assert_eq!(
        run_with("States.ArrayContains($.objs, $.e)", input.clone()).unwrap(),
        json!(false)
    );
    assert_eq!(
        run_with("States.ArrayContains($.bools, false)", input).unwrap(),
        json!(true)
    );
}

#[test]
fn array_range_counts_inclusively_up_to_1000_items() {
    assert_eq!(run("States.ArrayRange(1, 9, 2)"), json!([1, 3, 5, 7, 9]));
    assert_eq!(run("States.ArrayRange(0, 9, 3)"), json!([0, 3, 6, 9]));
    assert_eq!(run("States.ArrayRange(0, 10, 3)"), json!([0, 3, 6, 9]));
    assert_eq!(run("States.ArrayRange(1, 9, 9)"), json!([1]));
    assert_eq!(run("States.ArrayRange(5, 1, -2)"), json!([5, 3, 1]));
    assert_eq!(run("States.ArrayRange(5, 1, 2)"), json!([]));
    assert_eq!(run("States.ArrayRange(1, 1000, 1)").as_array().unwrap().len(), 1000);
    assert!(fails("States.ArrayRange(0, 1000, 1)", json!({})).contains("at most 1000"));
    assert!(fails("States.ArrayRange(0, 10, 0)", json!({})).contains("zero"));
    assert!(fails("States.ArrayRange(0, 9223372036854775807, 1)", json!({})).contains("at most 1000"));
}

#[test]
fn array_get_item_length_and_unique() {
    let input = json!({"a": [1, 2, 3, 4, 5, 6, 7, 8, 9], "d": [1, 2, 2, 3, {"x": 1, "y": 2}, {"y": 2, "x": 1}, 1.0]});
    assert_eq!(
        run_with("States.ArrayGetItem($.a, 5)", input.clone()).unwrap(),
        json!(6)
    );
    assert_eq!(run_with("States.ArrayLength($.a)", input.clone()).unwrap(), json!(9));
    assert_eq!(
        run_with("States.ArrayUnique($.d)", input.clone()).unwrap(),
        json!([1, 2, 3, {"x": 1, "y": 2}, 1.0])
    );
    assert_eq!(
        fails("States.ArrayGetItem($.a, 9)", input.clone()),
        "Invalid arguments in States.ArrayGetItem: The index 9 is out of bounds for an array of length 9"
    );
    assert!(fails("States.ArrayGetItem($.a, -1)", input.clone()).contains("out of bounds"));
    assert!(fails("States.ArrayLength($.a[0])", input).contains("must be an array"));
}

#[test]
fn base64_round_trips_and_limits_input() {
    assert_eq!(
        run("States.Base64Encode('Data to encode')"),
        json!("RGF0YSB0byBlbmNvZGU=")
    );
    assert_eq!(run("States.Base64Encode('')"), json!(""));
    assert_eq!(
        run("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')"),
        json!("Data to encode")
    );
    assert_eq!(
        run("States.Base64Decode('RGF0YSB0byBlbmNvZGU')"),
        json!("Data to encode")
    );
    let long = json!({"s": "a".repeat(10_001)});
    assert!(fails("States.Base64Encode($.s)", long).contains("longer than 10000"));
    assert!(fails("States.Base64Decode('***')", json!({})).contains("not valid Base64"));
}

#[test]
fn hash_supports_the_documented_algorithms() {
    let cases = [
        ("MD5", "812f45842bc6d66ee14572ce20db8e86"),
        ("SHA-1", "aaff4a450a104cd177d28d18d74485e8cae074b7"),
        (
            "SHA-256",
            "b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3",
        ),
        (
            "SHA-384",
            "d28a7d5cf25a74f11a50a18452b75e04bb3d70c9dd0510d6123aa008c756511b87525bdc835ebb27e1fb9e9374a15562",
        ),
        (
            "SHA-512",
            "6ce4adb348546d4f449c4d25aad9a7c9cb711d9e91982d3f0b29ca2f3f47d4ce2deba23bf2954f0f1d593fc50283731a533d30d425402d4f91316d871303aac4",
        ),
    ];
    for (algorithm, expected) in cases {
        let got = run(&format!("States.Hash('input data', '{algorithm}')"));
        assert_eq!(got, json!(expected), "{algorithm}");
    }
    assert_eq!(
        run("States.Hash('Hash this string', 'SHA-256')"),
        json!("1cac63f39fd68d8c531f27b807610fb3d50f0fc3f186995767fb6316e7200a3e")
    );
    assert!(fails("States.Hash('x', 'SHA-3')", json!({})).contains("not one of MD5"));
}

#[test]
fn json_merge_is_shallow_and_refuses_deep_mode() {
    let input =
        json!({"fst": {"a": {"a1": 1, "a2": 2}, "b": 2, "d": 3}, "snd": {"a": {"a3": 1, "a4": 2}, "c": 3, "d": 4}});
    let merged = run_with("States.JsonMerge($.fst, $.snd, false)", input.clone()).unwrap();
    assert_eq!(merged, json!({"a": {"a3": 1, "a4": 2}, "b": 2, "c": 3, "d": 4}));
    assert_eq!(
        serde_json::to_string(&merged).unwrap(),
        r#"{"a":{"a3":1,"a4":2},"b":2,"d":4,"c":3}"#
    );
    assert!(fails("States.JsonMerge($.fst, $.snd, true)", input.clone()).contains("Deep merge"));
    assert!(fails("States.JsonMerge($.fst, 1, false)", input).contains("must be an object"));
}

#[test]
fn math_add_rounds_half_up_like_java() {
    let cases = [
        (json!(-9), json!(3), -6),
        (json!(1.49), json!(1.5), 3),
        (json!(1.5), json!(1.51), 4),
        (json!(-1.49), json!(-1.5), -2),
        (json!(-1.5), json!(-1.51), -3),
        (json!(1.49), json!(-1.49), 0),
        (json!(0.5), json!(0), 1),
        (json!(2.5), json!(0), 3),
        (json!(-0.5), json!(0), 0),
        (json!(-2.5), json!(0), -2),
        (json!(111), json!(-1), 110),
    ];
    for (a, b, expected) in cases {
        let got = run_with("States.MathAdd($.a, $.b)", json!({"a": a, "b": b})).unwrap();
        assert_eq!(got, json!(expected), "{a} + {b}");
    }
    assert_eq!(run("States.MathAdd(States.ArrayLength($nums), -1)"), json!(1));
    assert!(fails("States.MathAdd('1', 2)", json!({})).contains("must be a number"));
}

#[test]
fn math_random_stays_in_range_and_is_stable_with_a_seed() {
    for _ in 0..200 {
        let value = run("States.MathRandom(-99999, -9999)").as_i64().unwrap();
        assert!((-99999..-9999).contains(&value));
    }
    let first = run("States.MathRandom(0, 999, 3)");
    assert_eq!(first, run("States.MathRandom(0, 999, 3)"));
    assert_eq!(first, json!(239), "Java's new Random(3).nextInt(999)");
    assert!(fails("States.MathRandom(5, 5)", json!({})).contains("greater than"));
}

#[test]
fn string_split_uses_every_delimiter_character_and_drops_empty_parts() {
    let split = |s: &str, d: &str| run_with("States.StringSplit($.s, $.d)", json!({"s": s, "d": d})).unwrap();
    assert_eq!(split(" ", ","), json!([" "]));
    assert_eq!(split(" , ", ","), json!([" ", " "]));
    assert_eq!(
        split("This.is+a,test=string", ".+,="),
        json!(["This", "is", "a", "test", "string"])
    );
    assert_eq!(
        split("split on T and \nnew line", "T\n"),
        json!(["split on ", " and ", "new line"])
    );
    assert_eq!(split("a,,b,", ","), json!(["a", "b"]));
    assert_eq!(split("", ","), json!([]));
    assert_eq!(
        run("States.StringSplit('Hello\nWorld', '\n')"),
        json!(["Hello", "World"])
    );
}

#[test]
fn uuid_is_version_4() {
    let value = run("States.UUID()");
    let parsed = uuid::Uuid::parse_str(value.as_str().unwrap()).unwrap();
    assert_eq!(parsed.get_version_num(), 4);
}

#[test]
fn nested_calls_evaluate_inside_out() {
    assert_eq!(
        run("States.ArrayGetItem(States.StringSplit($$.StateMachine.Name, '-'), 0)"),
        json!("my")
    );
    assert_eq!(
        run(
            "States.ArrayGetItem(States.StringSplit($$.StateMachine.Name, '-'), States.MathAdd(States.ArrayLength(States.StringSplit($$.StateMachine.Name, '-')), -1))"
        ),
        json!("name")
    );
}

#[test]
fn path_arguments_that_find_nothing_are_path_errors() {
    let err = run_with("States.Format('{}', $.missing)", json!({})).unwrap_err();
    assert!(matches!(err, IntrinsicError::Path(PathError::NotFound { .. })));
    let err = run_with("States.Array($nope)", json!({})).unwrap_err();
    assert!(matches!(err, IntrinsicError::Path(PathError::UndefinedVariable { .. })));
}

#[test]
fn indefinite_path_arguments_give_arrays() {
    assert_eq!(
        run_with("States.ArrayLength($.a[*].b)", json!({"a": [{"b": 1}, {"c": 2}]})).unwrap(),
        json!(1)
    );
}

#[test]
fn paths_lists_every_path_argument() {
    let call = IntrinsicCall::parse("States.Format('{} {}', $.a, States.Array($$.b, $c, 'x'))").unwrap();
    let paths: Vec<&str> = call.paths().map(JsonPath::as_str).collect();
    assert_eq!(paths, ["$.a", "$$.b", "$c"]);
}

#[test]
fn syntax_errors_are_definition_errors() {
    for bad in [
        "States.StringToJson('{\"text\":\"An \\\"escaped double quote\\\" here\"}')",
        "States.Format('He said, \\\"Hello, {}!\\\"', 'Test \\\"Name\\\" Here')",
        "States.Nope(1)",
        "Format('x')",
        "States.Format",
        "States.Format()",
        "States.UUID(1)",
        "States.MathAdd(1)",
        "States.MathRandom(1, 2, 3, 4)",
        "States.Array('unterminated)",
        "States.Array(1,)",
        "States.Array(1 2)",
        "States.Array(01x)",
        "States.Array($.a b)",
        "States.Array(maybe)",
        "States.Array() trailing",
        " States.Array()",
        "States.Array(\"double\")",
        "",
    ] {
        assert!(IntrinsicCall::parse(bad).is_err(), "{bad:?} should not parse");
    }
}

#[test]
fn accepted_syntax_variants() {
    for good in [
        "States.Array( )",
        "States.Array( 1 , 'a' , $.x , true , false , null , -2.5 , 1e3 )",
        "States.Array($.a[?(@.b == 'x,y')], $['a,b'])",
        "States.Format('{}', $.a[0])",
        "States.Array('it\\'s \\\\ \\{ \\}')",
    ] {
        assert!(IntrinsicCall::parse(good).is_ok(), "{good:?} should parse");
    }
    assert_eq!(run("States.Array('it\\'s \\\\ \\{ \\}')"), json!(["it's \\ { }"]));
    assert_eq!(
        run_with("States.Array($['a,b'])", json!({"a,b": 1})).unwrap(),
        json!([1])
    );
}

#[test]
fn nesting_is_limited_to_ten_calls() {
    let nested = |n: usize| format!("{}1{}", "States.Array(".repeat(n), ")".repeat(n));
    assert!(IntrinsicCall::parse(&nested(10)).is_ok());
    assert!(IntrinsicCall::parse(&nested(11)).is_err());
    assert!(IntrinsicCall::parse(&nested(100_000)).is_err());
}

mod no_panic {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        /// Arbitrary argument lists never panic the parser or the functions.
        #[test]
        fn arbitrary_calls_never_panic(
            func in prop::sample::select(vec![
                "Format", "StringToJson", "JsonToString", "Array", "ArrayPartition", "ArrayContains", "ArrayRange",
                "ArrayGetItem", "ArrayLength", "ArrayUnique", "Base64Encode", "Base64Decode", "Hash", "JsonMerge",
                "MathRandom", "MathAdd", "StringSplit", "UUID",
            ]),
            args in prop::collection::vec(prop::sample::select(vec![
                "1", "-1", "0", "2.5", "-9223372036854775808", "9223372036854775807", "1e400", "'x'", "'{}'", "''",
                "'MD5'", "true", "false", "null", "$.a", "$.o", "$.s", "$.n", "$.missing", "$.a[*]", "$$.c", "$v",
                "States.Array(1, 2)", "States.UUID()",
            ]), 0..4),
        ) {
            let src = format!("States.{func}({})", args.join(", "));
            if let Ok(call) = IntrinsicCall::parse(&src) {
                let input = json!({"a": [1, 2, 2], "o": {"k": 1}, "s": "a,b", "n": null});
                let context = json!({"c": 1});
                let mut variables = Map::new();
                variables.insert("v".into(), json!("v"));
                let roots = Roots { input: &input, context: &context, variables: &variables };
                let _ = call.evaluate(&roots);
            }
        }
    }
}
