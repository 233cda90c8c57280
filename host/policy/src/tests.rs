//! The permission matrix: Allow, Deny, wildcards, explicit Deny over
//! Allow, no statement at all.

use serde_json::json;

use super::*;

const TABLE: &str = "arn:aws:dynamodb:us-east-1:123456789012:table/orders";

fn policy(v: Value) -> Policy {
    Policy::parse(&v).unwrap()
}

#[test]
fn no_statement_allows_nothing() {
    assert_eq!(
        Policy::deny_all().check("dynamodb:GetItem", TABLE),
        Decision::ImplicitlyDenied
    );
}

#[test]
fn allow_grants_exactly_what_it_names() {
    let p = policy(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem"], "Resource": TABLE}]}));
    assert!(p.check("dynamodb:GetItem", TABLE).is_allowed());
    assert!(p.check("dynamodb:PutItem", TABLE).is_allowed());
    assert!(!p.check("dynamodb:DeleteItem", TABLE).is_allowed());
    assert!(
        !p.check(
            "dynamodb:GetItem",
            "arn:aws:dynamodb:us-east-1:123456789012:table/payments"
        )
        .is_allowed()
    );
}

#[test]
fn wildcards_match_actions_and_resources() {
    let p = policy(
        json!({"Statement": {"Effect": "Allow", "Action": "dynamodb:*Item", "Resource": "arn:aws:dynamodb:*:*:table/ord?rs"}}),
    );
    assert!(p.check("dynamodb:UpdateItem", TABLE).is_allowed());
    assert!(!p.check("dynamodb:Query", TABLE).is_allowed());
    assert!(
        !p.check(
            "dynamodb:GetItem",
            "arn:aws:dynamodb:us-east-1:123456789012:table/orderss"
        )
        .is_allowed()
    );
}

#[test]
fn actions_ignore_case_but_resources_do_not() {
    let p = policy(json!({"Statement": [{"Effect": "Allow", "Action": "DynamoDB:getitem", "Resource": TABLE}]}));
    assert!(p.check("dynamodb:GetItem", TABLE).is_allowed());
    assert!(!p.check("dynamodb:GetItem", &TABLE.to_uppercase()).is_allowed());
}

#[test]
fn explicit_deny_wins_over_allow() {
    let p = policy(json!({"Statement": [
        {"Sid": "All", "Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"},
        {"Sid": "NoDeletes", "Effect": "Deny", "Action": "dynamodb:DeleteItem", "Resource": TABLE}]}));
    assert!(p.check("dynamodb:PutItem", TABLE).is_allowed());
    assert_eq!(
        p.check("dynamodb:DeleteItem", TABLE),
        Decision::ExplicitlyDenied {
            statement: Some("NoDeletes".into())
        }
    );
}

#[test]
fn not_action_and_not_resource_invert_the_match() {
    let p = policy(json!({"Statement": [
        {"Effect": "Allow", "NotAction": "dynamodb:DeleteItem", "NotResource": "arn:aws:dynamodb:*:*:table/secrets"}]}));
    assert!(p.check("dynamodb:PutItem", TABLE).is_allowed());
    assert!(!p.check("dynamodb:DeleteItem", TABLE).is_allowed());
    assert!(
        !p.check(
            "dynamodb:PutItem",
            "arn:aws:dynamodb:us-east-1:123456789012:table/secrets"
        )
        .is_allowed()
    );
}

#[test]
fn malformed_policies_are_rejected_with_their_location() {
    let e = Policy::parse(&json!({"Statement": [{"Effect": "Permit", "Action": "*", "Resource": "*"}]})).unwrap_err();
    assert_eq!(e.location, "/Statement/0/Effect");
    let e =
        Policy::parse(&json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {}}]}))
            .unwrap_err();
    assert_eq!(e.location, "/Statement/0/Condition");
    assert!(Policy::parse(&json!({"Statement": [{"Effect": "Allow", "Resource": "*"}]})).is_err());
    assert!(Policy::parse(&json!({"Statement": [{"Effect": "Allow", "Action": [], "Resource": "*"}]})).is_err());
    assert!(Policy::parse(&json!("not an object")).is_err());
}

#[test]
fn star_alone_matches_everything_including_empty() {
    let p = Pattern::new("*", true);
    assert!(p.matches(""));
    assert!(p.matches("anything:at/all"));
    assert!(!Pattern::new("a*", true).matches(""));
}

#[test]
fn allows_decides_as_check_does() {
    let p = policy(json!({"Statement": [
        {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "arn:aws:dynamodb:*:*:table/*"},
        {"Effect": "Deny", "Action": "dynamodb:DeleteItem", "Resource": TABLE},
        {"Effect": "Allow", "NotAction": "dynamodb:*", "Resource": "*"}]}));
    let resources = [
        TABLE,
        "arn:aws:dynamodb:us-east-1:123456789012:table/payments",
        "arn:aws:logs:*:*:log-group:x",
    ];
    let actions = [
        "dynamodb:GetItem",
        "DYNAMODB:deleteitem",
        "dynamodb:DeleteItem",
        "logs:PutLogEvents",
        "s3:GetObject",
    ];
    for resource in resources {
        for action in actions {
            assert_eq!(
                p.allows(action, resource),
                p.check(action, resource).is_allowed(),
                "{action} on {resource}"
            );
        }
    }
    assert!(!p.allows("dynamodb:DeleteItem", TABLE));
    assert!(p.allows(
        "dynamodb:DeleteItem",
        "arn:aws:dynamodb:us-east-1:123456789012:table/payments"
    ));
    assert!(!Policy::deny_all().allows("dynamodb:GetItem", TABLE));
}
