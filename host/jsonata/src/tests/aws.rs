//! The AWS Step Functions function set.

use serde_json::json;

use super::val_env;
use crate::{AWS_ARGUMENT_ERROR, Env, Expression};

fn aws() -> Env<'static> {
    Env::new().aws_functions(true)
}

fn aws_code(expr: &str) -> String {
    Expression::parse(expr)
        .and_then(|e| e.evaluate(None, &aws()))
        .unwrap_err()
        .code
}

#[test]
fn partition_splits_into_chunks() {
    assert_eq!(
        val_env("$partition([1,2,3,4,5,6,7,8,9], 3)", &aws()),
        json!([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    );
    assert_eq!(
        val_env("$partition([1,2,3,4,5], 2)", &aws()),
        json!([[1, 2], [3, 4], [5]])
    );
    assert_eq!(aws_code("$partition([1], 0)"), AWS_ARGUMENT_ERROR);
}

#[test]
fn range_is_inclusive_with_step() {
    assert_eq!(val_env("$range(0, 10, 2)", &aws()), json!([0, 2, 4, 6, 8, 10]));
    assert_eq!(val_env("$range(5, 1, -2)", &aws()), json!([5, 3, 1]));
    assert_eq!(aws_code("$range(0, 1, 0)"), AWS_ARGUMENT_ERROR);
}

#[test]
fn range_is_a_sequence_so_one_item_comes_out_unwrapped() {
    assert_eq!(val_env("$range(1, 9, 9)", &aws()), json!(1));
}

#[test]
fn hash_supports_the_five_algorithms_in_lowercase_hex() {
    assert_eq!(
        val_env("$hash('abc', 'MD5')", &aws()),
        json!("900150983cd24fb0d6963f7d28e17f72")
    );
    assert_eq!(
        val_env("$hash('abc', 'SHA-1')", &aws()),
        json!("a9993e364706816aba3e25717850c26c9cd0d89d")
    );
    assert_eq!(
        val_env("$hash('abc', 'SHA-256')", &aws()),
        json!("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    );
    assert_eq!(
        val_env(
            "$length($hash('abc', 'SHA-384')) & ' ' & $length($hash('abc', 'SHA-512'))",
            &aws()
        ),
        json!("96 128")
    );
    assert_eq!(aws_code("$hash('abc', 'CRC32')"), AWS_ARGUMENT_ERROR);
}

#[test]
fn seeded_random_is_deterministic() {
    let a = val_env("$random(42)", &aws());
    assert_eq!(a, val_env("$random(42)", &aws()));
    assert_ne!(a, val_env("$random(43)", &aws()));
    assert!((0.0..1.0).contains(&a.as_f64().unwrap()));
}

#[test]
fn uuid_is_version_4() {
    let u = val_env("$uuid()", &aws());
    let s = u.as_str().unwrap();
    assert_eq!(s.len(), 36);
    assert_eq!(&s[14..15], "4");
}

#[test]
fn parse_reads_json_text() {
    assert_eq!(val_env("$parse('{\"a\": [1, 2]}').a[1]", &aws()), json!(2));
    assert_eq!(aws_code("$parse('{')"), AWS_ARGUMENT_ERROR);
}

#[test]
fn eval_is_unknown_under_aws_and_extras_absent_without() {
    assert_eq!(aws_code("$eval('1')"), "T1006");
    let plain = Expression::parse("$uuid()")
        .unwrap()
        .evaluate(None, &Env::new())
        .unwrap_err();
    assert_eq!(plain.to_string(), "T1006: Attempted to invoke a non-function");
}
