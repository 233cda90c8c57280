use super::*;
use crate::intrinsics::Roots;
use serde_json::json;

fn eval_with(
    template: Value,
    input: &Value,
    context: &Value,
    variables: &Map<String, Value>,
) -> Result<Value, PayloadError> {
    let roots = Roots {
        input,
        context,
        variables,
    };
    PayloadTemplate::compile(&template)
        .unwrap_or_else(|e| panic!("{e:?}"))
        .evaluate(&roots)
}

fn eval(template: Value, input: Value) -> Result<Value, PayloadError> {
    eval_with(template, &input, &json!({}), &Map::new())
}

#[test]
fn constant_templates_are_cloned_as_is() {
    let template =
        json!({"first": 88, "second": [1, {"x": "$.not.a.path"}], "s": "States.Format('x')", "j": "{% $x %}"});
    let compiled = PayloadTemplate::compile(&template).unwrap();
    assert!(compiled.is_constant());
    assert_eq!(eval(template.clone(), json!({})).unwrap(), template);
}

#[test]
fn dollar_fields_take_paths_and_drop_the_suffix() {
    let template = json!({
        "flagged": true,
        "parts": {"first.$": "$.vals[0]", "last3.$": "$.vals[-3:]"},
        "weekday.$": "$$.DayOfWeek",
        "formattedOutput.$": "States.Format('Today is {}', $$.DayOfWeek)"
    });
    let input = json!({"flagged": 7, "vals": [0, 10, 20, 30, 40, 50]});
    let got = eval_with(template, &input, &json!({"DayOfWeek": "TUESDAY"}), &Map::new()).unwrap();
    assert_eq!(
        got,
        json!({
            "flagged": true,
            "parts": {"first": 0, "last3": [30, 40, 50]},
            "weekday": "TUESDAY",
            "formattedOutput": "Today is TUESDAY"
        })
    );
}

#[test]
fn output_keeps_the_template_field_order() {
    let template = json!({"z": 1, "a.$": "$.x", "m": 2});
    let got = eval(template, json!({"x": 0})).unwrap();
    assert_eq!(serde_json::to_string(&got).unwrap(), r#"{"z":1,"a":0,"m":2}"#);
}

#[test]
fn arrays_of_objects_are_walked() {
    let template = json!({"list": [1, {"v.$": "$.a"}, [{"w.$": "$.b"}]]});
    assert_eq!(
        eval(template, json!({"a": "A", "b": "B"})).unwrap(),
        json!({"list": [1, {"v": "A"}, [{"w": "B"}]]})
    );
}

#[test]
fn item_selector_reads_input_context_and_root() {
    let template = json!({
        "constant_value": "HelloWorld",
        "from_input_constant.$": "$.delivery-partner",
        "iteration_index.$": "$$.Map.Item.Index",
        "iteration_input_value.$": "$$.Map.Item.Value",
        "original_input.$": "$"
    });
    let input = json!({"delivery-partner": "UQS", "shipped": ["A"]});
    let context = json!({"Map": {"Item": {"Index": 0, "Value": "A"}}});
    assert_eq!(
        eval_with(template, &input, &context, &Map::new()).unwrap(),
        json!({
            "constant_value": "HelloWorld",
            "from_input_constant": "UQS",
            "iteration_index": 0,
            "iteration_input_value": "A",
            "original_input": {"delivery-partner": "UQS", "shipped": ["A"]}
        })
    );
}

#[test]
fn variables_are_readable_in_fields_and_intrinsics() {
    let mut variables = Map::new();
    variables.insert("result".into(), json!("foobar"));
    variables.insert("obj".into(), json!({"lst": [1, 2]}));
    let template =
        json!({"result.$": "$result", "lst.$": "$obj.lst", "n.$": "States.ArrayLength($obj.lst)", "lit": "$result"});
    assert_eq!(
        eval_with(template, &json!({}), &json!({}), &variables).unwrap(),
        json!({"result": "foobar", "lst": [1, 2], "n": 2, "lit": "$result"})
    );
}

#[test]
fn missing_path_fails_with_aws_cause() {
    let input = json!({"int-literal": 0});
    let err = eval(json!({"value.$": "$.no_such_jsonpath"}), input.clone()).unwrap_err();
    assert_eq!(err.error_name(), "States.Runtime");
    assert_eq!(
        err.cause(&input),
        r#"The JSONPath '$.no_such_jsonpath' specified for the field 'value.$' could not be found in the input '{"int-literal":0}'"#
    );
    let err = eval_with(
        json!({"value.$": "$$.Execution.Input.no_such_jsonpath"}),
        &input,
        &json!({"Execution": {"Input": input.clone()}}),
        &Map::new(),
    )
    .unwrap_err();
    assert!(
        matches!(&err, PayloadError::PathNotFound { path, field, .. } if path == "$$.Execution.Input.no_such_jsonpath" && field == "value.$")
    );
}

#[test]
fn missing_nested_path_names_the_nested_field() {
    let err = eval(json!({"outer": {"inner.$": "$.nope.deep"}}), json!({"other": 1})).unwrap_err();
    assert_eq!(
        err.cause(&json!({"other": 1})),
        r#"The JSONPath '$.nope.deep' specified for the field 'inner.$' could not be found in the input '{"other":1}'"#
    );
}

#[test]
fn indefinite_paths_that_match_nothing_give_empty_arrays() {
    assert_eq!(
        eval(json!({"item.$": "$.items[*]"}), json!({})).unwrap(),
        json!({"item": []})
    );
    assert_eq!(
        eval(
            json!({"FromInput.$": "$.users[?(@.status == 0)]"}),
            json!({"users": [{"status": 0}, {"status": 1}]})
        )
        .unwrap(),
        json!({"FromInput": [{"status": 0}]})
    );
}

#[test]
fn intrinsic_failures_are_intrinsic_failure_errors() {
    let err = eval(json!({"x.$": "States.ArrayGetItem($.a, 3)"}), json!({"a": [1]})).unwrap_err();
    assert_eq!(err.error_name(), "States.IntrinsicFailure");
    assert_eq!(
        err.cause(&json!({})),
        "Invalid arguments in States.ArrayGetItem: The index 3 is out of bounds for an array of length 1"
    );
}

#[test]
fn intrinsic_argument_paths_that_find_nothing_fail_like_fields() {
    let err = eval(json!({"x.$": "States.Format('{}', $.missing)"}), json!({})).unwrap_err();
    assert_eq!(err.error_name(), "States.Runtime");
    assert!(matches!(&err, PayloadError::PathNotFound { path, field, .. } if path == "$.missing" && field == "x.$"));
}

#[test]
fn invalid_fields_are_reported_with_aws_text_and_location() {
    let template = json!({
        "parsed.$": "States.StringToJson('{\"text\":\"An \\\"escaped double quote\\\" here\"}')",
        "nested": {"list": [{"bad.$": 42}], "ok.$": "$.fine"},
        "worse.$": "not a path",
        "path.$": "$.a b"
    });
    let errors = PayloadTemplate::compile(&template).unwrap_err();
    let summary: Vec<(String, String)> = errors.iter().map(|e| (e.pointer.clone(), e.field.clone())).collect();
    assert_eq!(
        summary,
        [
            (String::new(), "parsed.$".to_owned()),
            ("/nested/list/0".to_owned(), "bad.$".to_owned()),
            (String::new(), "worse.$".to_owned()),
            (String::new(), "path.$".to_owned()),
        ]
    );
    assert_eq!(
        errors[0].diagnostic("/States/IntrinsicEscape/Parameters"),
        "The value for the field 'parsed.$' must be a valid JSONPath or a valid intrinsic function call at /States/IntrinsicEscape/Parameters"
    );
    assert!(errors.iter().all(|e| e.detail.is_some()));
}

#[test]
fn duplicate_fields_after_stripping_are_rejected() {
    let errors = PayloadTemplate::compile(&json!({"a": 1, "a.$": "$.x"})).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].field, "a.$");
}

#[test]
fn paths_lists_field_and_intrinsic_paths() {
    let template = json!({"a.$": "$.x", "b": {"c.$": "States.Format('{}', $var, $$.ctx)"}, "d": "$.literal"});
    let compiled = PayloadTemplate::compile(&template).unwrap();
    let paths: Vec<&str> = compiled.paths().map(JsonPath::as_str).collect();
    assert_eq!(paths, ["$.x", "$var", "$$.ctx"]);
}

#[test]
fn non_object_templates_are_allowed_and_constant() {
    for value in [json!("text"), json!(3), json!(null), json!([1, "x"])] {
        assert_eq!(eval(value.clone(), json!({})).unwrap(), value);
    }
}

#[test]
fn deep_templates_are_refused_without_overflowing() {
    let mut template = json!({"leaf.$": "$.x"});
    for _ in 0..100_000 {
        let mut map = Map::new();
        map.insert("k".into(), template);
        template = Value::Object(map);
    }
    let errors = PayloadTemplate::compile(&template).unwrap_err();
    assert!(errors[0].message.contains("nested more than"));
    std::mem::forget(template);
}
