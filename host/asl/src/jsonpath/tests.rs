use super::*;
use serde_json::json;

fn select(path: &str, doc: &Value) -> Result<Value, PathError> {
    JsonPath::parse(path).unwrap().select(doc).map(Cow::into_owned)
}

fn message(path: &str, doc: &Value) -> String {
    select(path, doc).unwrap_err().to_string()
}

fn store() -> Value {
    json!({
        "store": {
            "book": [
                {"category": "reference", "author": "Nigel Rees", "title": "Sayings", "price": 8.95},
                {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword", "price": 12.99},
                {"category": "fiction", "author": "Herman Melville", "title": "Moby Dick", "isbn": "0-553", "price": 8.99},
                {"category": "fiction", "author": "J. R. R. Tolkien", "title": "Rings", "isbn": "0-395", "price": 22.99}
            ],
            "bicycle": {"color": "red", "price": 19.95}
        },
        "expensive": 10
    })
}

#[test]
fn roots_are_input_context_and_variables() {
    assert_eq!(JsonPath::parse("$").unwrap().root(), &PathRoot::Input);
    assert_eq!(JsonPath::parse("$.a").unwrap().root(), &PathRoot::Input);
    assert_eq!(JsonPath::parse("$$").unwrap().root(), &PathRoot::Context);
    assert_eq!(JsonPath::parse("$$.Execution.Id").unwrap().root(), &PathRoot::Context);
    assert_eq!(
        JsonPath::parse("$var").unwrap().root(),
        &PathRoot::Variable("var".into())
    );
    let path = JsonPath::parse("$constant_obj.in_obj[0]").unwrap();
    assert_eq!(path.root(), &PathRoot::Variable("constant_obj".into()));
    assert_eq!(path.select(&json!({"in_obj": [7]})).unwrap().as_ref(), &json!(7));
    assert!(JsonPath::parse("$").unwrap().is_root());
    assert!(JsonPath::parse("$x").unwrap().is_root());
}

#[test]
fn definite_paths_select_borrowed_values() {
    let doc = store();
    let path = JsonPath::parse("$.store.bicycle.color").unwrap();
    let got = path.select(&doc).unwrap();
    assert!(matches!(got, Cow::Borrowed(_)));
    assert_eq!(got.as_ref(), &json!("red"));
    assert_eq!(select("$['store']['book'][1]['title']", &doc).unwrap(), json!("Sword"));
    assert_eq!(select("$[\"expensive\"]", &doc).unwrap(), json!(10));
    assert_eq!(select("$", &doc).unwrap(), doc);
}

#[test]
fn dot_names_may_hold_dashes_and_other_punctuation() {
    let doc = json!({"delivery-partner": "UQS", "a:b": 1, "x@y": 2});
    assert_eq!(select("$.delivery-partner", &doc).unwrap(), json!("UQS"));
    assert_eq!(select("$.a:b", &doc).unwrap(), json!(1));
    assert_eq!(select("$.x@y", &doc).unwrap(), json!(2));
    assert_eq!(select("$['x@y']", &doc).unwrap(), json!(2));
}

#[test]
fn json_null_is_a_found_value() {
    assert_eq!(select("$.a", &json!({"a": null})).unwrap(), Value::Null);
}

#[test]
fn negative_indexes_count_from_the_end() {
    let doc = json!({"a": [1, 2, 3]});
    assert_eq!(select("$.a[-1]", &doc).unwrap(), json!(3));
    assert_eq!(select("$.a[-3]", &doc).unwrap(), json!(1));
    assert!(select("$.a[-4]", &doc).is_err());
}

#[test]
fn missing_leaf_reports_jayway_no_results_with_the_whole_path() {
    let doc = json!({"int-literal": 0});
    assert_eq!(
        message("$.NoSuchInputPath", &doc),
        "Invalid path '$.NoSuchInputPath' : No results for path: $['NoSuchInputPath']"
    );
    let doc = json!({"a": {}});
    assert_eq!(
        message("$.a.b", &doc),
        "Invalid path '$.a.b' : No results for path: $['a']['b']"
    );
    let doc = json!({"a": [1]});
    assert_eq!(
        message("$.a[3]", &doc),
        "Invalid path '$.a[3]' : No results for path: $['a'][3]"
    );
}

#[test]
fn missing_intermediate_reports_the_path_up_to_the_missing_name() {
    let doc = json!({"x": 1});
    assert_eq!(
        message("$.a.b.c", &doc),
        "Invalid path '$.a.b.c' : Missing property in path $['a']"
    );
    let doc = json!({"a": {"x": 1}});
    assert_eq!(
        message("$.a.b.c", &doc),
        "Invalid path '$.a.b.c' : Missing property in path $['a']['b']"
    );
}

#[test]
fn wrong_shapes_report_jayway_messages() {
    let doc = json!({"a": "text", "n": null, "o": {"k": 1}});
    assert_eq!(
        message("$.a.b", &doc),
        "Invalid path '$.a.b' : Expected to find an object with property ['b'] in path $['a'] but found \
         'java.lang.String'. This is not a json object according to the JsonProvider: \
         'com.jayway.jsonpath.spi.json.JacksonJsonProvider'."
    );
    assert_eq!(
        message("$.n[0]", &doc),
        "Invalid path '$.n[0]' : The path $['n'] is null"
    );
    assert_eq!(
        message("$.o[0].z", &doc),
        "Invalid path '$.o[0].z' : Filter: [0]['z'] can only be applied to arrays. Current context is: {k=1}"
    );
}

#[test]
fn not_found_carries_source_and_rendering() {
    let err = select("$$.Execution.Input.x", &json!({"Execution": {"Input": {}}})).unwrap_err();
    match err {
        PathError::NotFound { path, rendered, .. } => {
            assert_eq!(path, "$$.Execution.Input.x");
            assert_eq!(rendered, "$['Execution']['Input']['x']");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn rendering_keeps_the_quote_style_and_index_lists() {
    let render = |p: &str| JsonPath::parse(p).unwrap().rendered().to_owned();
    assert_eq!(render("$.a.b"), "$['a']['b']");
    assert_eq!(render("$[\"a\"][0]"), "$[\"a\"][0]");
    assert_eq!(render("$..book[*].author"), "$..['book'][*]['author']");
    assert_eq!(render("$.a[1,2][1:][:2][-2:-1]"), "$['a'][1,2][1:][:2][-2:-1]");
    assert_eq!(render("$.a[?(@.b)]"), "$['a'][?]");
    assert_eq!(render("$['a','b']"), "$['a','b']");
}

#[test]
fn wildcards_return_every_child_in_order() {
    let doc = store();
    assert_eq!(
        select("$.store.book[*].author", &doc).unwrap(),
        json!(["Nigel Rees", "Evelyn Waugh", "Herman Melville", "J. R. R. Tolkien"])
    );
    assert_eq!(select("$.store.bicycle.*", &doc).unwrap(), json!(["red", 19.95]));
    assert_eq!(select("$[*]", &json!({})).unwrap(), json!([]));
}

#[test]
fn indefinite_paths_over_missing_data_give_empty_arrays() {
    let empty = json!({});
    for path in [
        "$[*]",
        "$.items[*]",
        "$.items[1:]",
        "$.items[:1]",
        "$.item.items[*]",
        "$.item.items[1:5]",
        "$.items[*].itemValue",
        "$.item.items[1:5].itemValue",
        "$..nothing",
        "$.a[?(@.b)]",
    ] {
        assert_eq!(select(path, &empty).unwrap(), json!([]), "{path}");
    }
}

#[test]
fn slices_follow_jayway() {
    let doc = json!({"a": [0, 1, 2, 3, 4]});
    assert_eq!(select("$.a[1:3]", &doc).unwrap(), json!([1, 2]));
    assert_eq!(select("$.a[2:]", &doc).unwrap(), json!([2, 3, 4]));
    assert_eq!(select("$.a[-2:]", &doc).unwrap(), json!([3, 4]));
    assert_eq!(select("$.a[:2]", &doc).unwrap(), json!([0, 1]));
    assert_eq!(select("$.a[:-2]", &doc).unwrap(), json!([0, 1, 2]));
    assert_eq!(select("$.a[-3:-1]", &doc).unwrap(), json!([2, 3]));
    assert_eq!(select("$.a[3:1]", &doc).unwrap(), json!([]));
    assert_eq!(select("$.a[1:100]", &doc).unwrap(), json!([1, 2, 3, 4]));
    // Jayway ignores a step.
    assert_eq!(select("$.a[0:4:2]", &doc).unwrap(), json!([0, 1, 2, 3]));
}

#[test]
fn unions_of_indexes_and_names() {
    let doc = json!({"a": [10, 11, 12], "x": 1, "y": 2, "o": {"p": {"v": 1}, "q": {"v": 2}}});
    assert_eq!(select("$.a[0,2]", &doc).unwrap(), json!([10, 12]));
    assert_eq!(select("$.a[0, 2]", &doc).unwrap(), json!([10, 12]));
    // Several names at the leaf merge into one object (a definite path in Jayway).
    assert_eq!(select("$['x','y','missing']", &doc).unwrap(), json!({"x": 1, "y": 2}));
    assert!(JsonPath::parse("$['x','y']").unwrap().is_definite());
    // Elsewhere they iterate.
    assert_eq!(select("$.o['p','q'].v", &doc).unwrap(), json!([1, 2]));
}

#[test]
fn deep_scan_walks_in_document_order() {
    let doc = store();
    assert_eq!(
        select("$..author", &doc).unwrap(),
        json!(["Nigel Rees", "Evelyn Waugh", "Herman Melville", "J. R. R. Tolkien"])
    );
    assert_eq!(
        select("$..price", &doc).unwrap(),
        json!([8.95, 12.99, 8.99, 22.99, 19.95])
    );
    assert_eq!(select("$..book[2].title", &doc).unwrap(), json!(["Moby Dick"]));
    assert_eq!(select("$..book[-1:].title", &doc).unwrap(), json!(["Rings"]));
    assert_eq!(
        select("$..[?(@.isbn)].title", &doc).unwrap(),
        json!(["Moby Dick", "Rings"])
    );
    assert_eq!(select("$.store..color", &doc).unwrap(), json!(["red"]));
}

#[test]
fn filters_compare_numbers_strings_and_paths() {
    let doc = store();
    let titles = |filter: &str| select(&format!("$.store.book[?({filter})].title"), &doc).unwrap();
    assert_eq!(titles("@.price < 10"), json!(["Sayings", "Moby Dick"]));
    assert_eq!(titles("@.price <= 8.95"), json!(["Sayings"]));
    assert_eq!(titles("@.price > $.expensive"), json!(["Sword", "Rings"]));
    assert_eq!(titles("@.category == 'reference'"), json!(["Sayings"]));
    assert_eq!(titles("@.category != \"fiction\""), json!(["Sayings"]));
    assert_eq!(titles("@.isbn"), json!(["Moby Dick", "Rings"]));
    assert_eq!(titles("!@.isbn"), json!(["Sayings", "Sword"]));
    assert_eq!(
        titles("@.category == 'fiction' && @.price < 15"),
        json!(["Sword", "Moby Dick"])
    );
    assert_eq!(
        titles("@.price < 9 || @.price > 20"),
        json!(["Sayings", "Moby Dick", "Rings"])
    );
    assert_eq!(titles("!(@.price < 10)"), json!(["Sword", "Rings"]));
    assert_eq!(
        titles("(@.price < 9 || @.price > 20) && @.isbn"),
        json!(["Moby Dick", "Rings"])
    );
    assert_eq!(titles("@.author =~ /.*Melville/"), json!(["Moby Dick"]));
    assert_eq!(titles("@.author =~ /nigel.*/i"), json!(["Sayings"]));
    assert_eq!(titles("@.title =~ /Sword|Rings/"), json!(["Sword", "Rings"]));
}

#[test]
fn a_bare_word_in_a_filter_is_the_string_it_spells() {
    let doc = store();
    let titles = |filter: &str| select(&format!("$.store.book[?({filter})].title"), &doc).unwrap();
    assert_eq!(titles("@.category==reference"), json!(["Sayings"]));
    assert_eq!(titles("@.category != fiction"), json!(["Sayings"]));
    assert_eq!(titles("reference == @.category"), json!(["Sayings"]));
    // Words that begin like the literals are still words.
    assert_eq!(titles("@.category == nullable"), json!([]));
    assert_eq!(titles("@.category == fiction && @.price < 9"), json!(["Moby Dick"]));
    // The literals themselves keep their meaning.
    let doc = json!({"items": [{"ok": true, "v": null}, {"ok": false, "v": "null"}]});
    let count = |filter: &str| {
        select(&format!("$.items[?({filter})]"), &doc)
            .unwrap()
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(count("@.ok == true"), 1);
    assert_eq!(count("@.ok == false"), 1);
    assert_eq!(count("@.v == null"), 1);
}

#[test]
fn filter_equality_follows_jayway_number_and_string_rules() {
    let doc = json!({"items": [{"v": 1}, {"v": 1.0}, {"v": "1"}, {"v": true}, {"v": null}, {"v": [1, 2]}]});
    let count = |filter: &str| match select(&format!("$.items[?({filter})]"), &doc).unwrap() {
        Value::Array(items) => items.len(),
        other => panic!("{other}"),
    };
    assert_eq!(
        count("@.v == 1"),
        3,
        "numbers compare numerically; a numeric string equals a number"
    );
    assert_eq!(count("@.v === 1"), 2, "type-safe equality excludes the string");
    assert_eq!(count("@.v == true"), 1);
    assert_eq!(count("@.v == null"), 1);
    assert_eq!(count("@.v == [1,2]"), 1);
    assert_eq!(count("@.v != 1"), 3);
    assert_eq!(count("@.missing == 1"), 0);
    assert_eq!(count("@.missing != 1"), 6);
}

#[test]
fn filters_never_match_scalars_as_aws_documents() {
    assert_eq!(select("$.a[?(@ > 1)]", &json!({"a": [1, 2, 3]})).unwrap(), json!([]));
}

#[test]
fn filter_on_users_status_selects_objects() {
    let doc = json!({"users": [{"status": 0, "year": 1997}, {"status": 1, "year": 1998}]});
    assert_eq!(
        select("$.users[?(@.status == 0)]", &doc).unwrap(),
        json!([{"status": 0, "year": 1997}])
    );
}

#[test]
fn strings_compare_by_utf16_units_like_java() {
    let doc = json!({"a": [{"s": "\u{ffff}"}, {"s": "\u{10000}"}]});
    // U+10000 is a surrogate pair (0xD800...) and sorts before U+FFFF in Java.
    assert_eq!(
        select("$.a[?(@.s < '\u{ffff}')].s", &doc).unwrap(),
        json!(["\u{10000}"])
    );
}

#[test]
fn functions_parse_but_find_nothing() {
    let doc = json!({"Jobs": [1, 2]});
    let err = select("$.Jobs.sum()", &doc).unwrap_err();
    assert!(matches!(err, PathError::NotFound { .. }));
    assert!(JsonPath::parse("$.Jobs.length().x").is_err());
}

#[test]
fn syntax_errors_are_reported_not_panicked() {
    for bad in [
        "",
        "a",
        "$.",
        "$..",
        "$a b",
        "$.a b",
        "$[",
        "$['a'",
        "$['a]",
        "$[1",
        "$[a]",
        "$.a[?(@.b]",
        "$.a[?(@.b =~ /x)]",
        "$.a[?(@.b in [1])]",
        "$.a[::]",
        "$x.y z",
        "$$$",
        "$.a..",
        "$[9999999999]",
        "$.a[?(@.b == 'x)]",
        "@.a",
        " $.a",
        "$.a[?(@.b == {bad})]",
        "$.a[?(@.b =~ /(/)]",
        "$['']x[",
    ] {
        assert!(JsonPath::parse(bad).is_err(), "{bad:?} should not parse");
    }
}

#[test]
fn accepted_syntax_variants() {
    for good in [
        "$",
        "$$",
        "$.a",
        "$['a']",
        "$[\"a\"]",
        "$.['a']",
        "$[0]",
        "$[-1]",
        "$[*]",
        "$.*",
        "$..a",
        "$..*",
        "$..[0]",
        "$[1,2]",
        "$[1:]",
        "$[:1]",
        "$[1:2]",
        "$['a', 'b']",
        "$[?(@.a)]",
        "$[ ?( @.a ) ]",
        "$.a[?(@.b < 1 && @.c)]",
        "$.a ",
        "$['it\\'s']",
        "$[ * ]",
    ] {
        assert!(JsonPath::parse(good).is_ok(), "{good:?} should parse");
    }
}

#[test]
fn escaped_quotes_in_bracket_names() {
    let doc = json!({"it's": 1, "a\"b": 2});
    assert_eq!(select("$['it\\'s']", &doc).unwrap(), json!(1));
    assert_eq!(select("$[\"a\\\"b\"]", &doc).unwrap(), json!(2));
}

#[test]
fn hostile_inputs_do_not_overflow() {
    let long = format!("${}", ".a".repeat(5000));
    assert!(JsonPath::parse(&long).is_err());
    let nested = format!("$[?({}@.a{})]", "(".repeat(500), ")".repeat(500));
    assert!(JsonPath::parse(&nested).is_err());
    let mut deep = json!({"x": 1});
    for _ in 0..100_000 {
        deep = Value::Array(vec![deep]);
    }
    assert_eq!(select("$..x", &deep).unwrap(), json!([1]));
    // Dropping a deeply nested value recurses inside serde_json; leak it instead.
    std::mem::forget(deep);
}

#[test]
fn reference_paths_accept_names_and_indexes_only() {
    for good in ["$", "$.a", "$.a.b[0]", "$['a']['b']", "$[0]"] {
        assert!(ReferencePath::parse(good).is_ok(), "{good}");
    }
    for bad in [
        "$$.a",
        "$var",
        "$.a[*]",
        "$..a",
        "$.a[-1]",
        "$.a[0,1]",
        "$.a[1:]",
        "$[?(@.a)]",
        "$['a','b']",
        "x",
    ] {
        assert!(ReferencePath::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn reference_path_root_replaces_the_input() {
    let path = ReferencePath::parse("$").unwrap();
    assert_eq!(path.apply(json!({"a": 1}), json!("r")).unwrap(), json!("r"));
}

#[test]
fn reference_path_inserts_overwrites_and_creates_objects() {
    let input = json!({"master": {"detail": [1, 2, 3]}, "z": 0});
    let path = ReferencePath::parse("$.master.detail").unwrap();
    assert_eq!(
        path.apply(input.clone(), json!(6)).unwrap(),
        json!({"master": {"detail": 6}, "z": 0})
    );
    let path = ReferencePath::parse("$.master.result.sum").unwrap();
    assert_eq!(
        path.apply(input.clone(), json!(6)).unwrap(),
        json!({"master": {"detail": [1, 2, 3], "result": {"sum": 6}}, "z": 0})
    );
    let path = ReferencePath::parse("$.master.detail[1]").unwrap();
    assert_eq!(
        path.apply(input, json!("x")).unwrap(),
        json!({"master": {"detail": [1, "x", 3]}, "z": 0})
    );
}

#[test]
fn reference_path_keeps_key_order_when_overwriting() {
    let path = ReferencePath::parse("$.a").unwrap();
    let out = path.apply(json!({"a": 1, "b": 2}), json!(3)).unwrap();
    assert_eq!(serde_json::to_string(&out).unwrap(), r#"{"a":3,"b":2}"#);
}

#[test]
fn reference_path_fails_like_aws_when_the_input_cannot_hold_the_result() {
    let cases = [
        ("$.a.b", json!({"a": "text"})),
        ("$.a", json!("{\"min_size\":1}")),
        ("$.a", json!([1])),
        ("$.a", Value::Null),
        ("$.a[0]", json!({"a": {}})),
        ("$.a[5]", json!({"a": [1]})),
        ("$.missing[0]", json!({})),
    ];
    for (src, input) in cases {
        let err = ReferencePath::parse(src)
            .unwrap()
            .apply(input.clone(), json!(1))
            .unwrap_err();
        assert_eq!(err.input, input, "input must come back untouched for {src}");
        assert_eq!(
            err.to_string(),
            format!("Unable to apply ReferencePath {src} to input {}", java::to_json(&input))
        );
    }
    let err = ReferencePath::parse("$.partitioned")
        .unwrap()
        .apply(json!("{\"a\":1}"), json!(1))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"Unable to apply ReferencePath $.partitioned to input "{\"a\":1}""#
    );
}

/// Run with `--ignored --nocapture` to see the cost of the hot path.
#[test]
#[ignore]
fn simple_path_speed() {
    let doc = json!({"a": {"b": 1, "c": [1, 2, 3]}, "x": "y"});
    let path = JsonPath::parse("$.a.b").unwrap();
    let rounds = 10_000_000u32;
    let start = std::time::Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(path.select(std::hint::black_box(&doc)).unwrap());
    }
    println!("$.a.b: {:?} per select", start.elapsed() / rounds);
}

mod no_panic {
    use super::*;
    use proptest::prelude::*;

    fn doc() -> Value {
        json!({"a": [1, {"b": "x", "c": [null, true, 2.5]}, "s"], "o": {"k": {"l": 1}}, "n": null})
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        /// Arbitrary text built from path punctuation never panics the parser or evaluator.
        #[test]
        fn arbitrary_paths_never_panic(body in "[$@.\\[\\]()?*:,'\"!=<>~/&| a-c0-9\\-\\\\]{0,40}") {
            let src = format!("${body}");
            if let Ok(path) = JsonPath::parse(&src) {
                let _ = path.select(&doc());
                let _ = path.rendered();
            }
            if let Ok(reference) = ReferencePath::parse(&src) {
                let _ = reference.apply(doc(), json!(1));
            }
        }
    }
}
