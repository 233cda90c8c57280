//! The auth file, authentication against it, and authorisation of users and roles.

use chrono::TimeZone;

use super::*;

const FILE: &str = "auth.json";

/// The example of the README draft.
const EXAMPLE: &str = r#"{
  "users": [
    {"name": "deployer", "accessKeyId": "AKIADEPLOYER", "secretAccessKey": "deployer-secret",
     "policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "states:*", "Resource": "*"}]}},
    {"name": "bob", "accessKeyId": "AKIABOB", "secretAccessKey": "bob-secret",
     "policy": {"Version": "2012-10-17", "Statement": [
       {"Effect": "Allow", "Action": ["states:Describe*", "states:List*"], "Resource": "*"},
       {"Effect": "Deny", "Action": "states:DeleteStateMachine", "Resource": "*"}]}}
  ],
  "roles": [
    {"name": "StepFunctionLambdaRole",
     "policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "lambda:InvokeFunction",
                "Resource": "arn:aws:lambda:*:*:function:orderPlacement*"}]}}
  ]
}"#;

const FOO: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:Foo";

fn example() -> AuthConfig {
    AuthConfig::parse(EXAMPLE, FILE).unwrap()
}

fn parse_error(text: &str) -> String {
    AuthConfig::parse(text, FILE).unwrap_err().to_string()
}

/// A one-user file whose user is `user` (a JSON object).
fn with_user(user: &str) -> String {
    format!(r#"{{"users": [{user}]}}"#)
}

const ALLOW_ALL: &str = r#"{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}"#;

// ---- the file ----

#[test]
fn example_file_parses_with_the_default_account() {
    let config = example();
    assert_eq!(config.account(), DEFAULT_ACCOUNT);
    let names: Vec<_> = config
        .principals()
        .map(|p| (p.name(), p.arn(), p.access_key_id()))
        .collect();
    assert_eq!(
        names,
        [
            ("deployer", "arn:aws:iam::123456789012:user/deployer", "AKIADEPLOYER"),
            ("bob", "arn:aws:iam::123456789012:user/bob", "AKIABOB"),
        ]
    );
    let role = config.roles().next().unwrap();
    assert_eq!(role.arn(), "arn:aws:iam::123456789012:role/StepFunctionLambdaRole");
}

#[test]
fn account_goes_into_every_arn() {
    let text = format!(
        r#"{{"account": "210987654321", "users": [{{"name": "a", "accessKeyId": "AK", "secretAccessKey": "s",
            "policy": {ALLOW_ALL}}}], "roles": [{{"name": "R", "policy": {ALLOW_ALL}}}]}}"#
    );
    let config = AuthConfig::parse(&text, FILE).unwrap();
    assert_eq!(
        config.principals().next().unwrap().arn(),
        "arn:aws:iam::210987654321:user/a"
    );
    assert!(config.role("arn:aws:iam::210987654321:role/R").is_some());
    assert!(config.role("arn:aws:iam::123456789012:role/R").is_none());
}

#[test]
fn an_account_that_is_not_twelve_digits_is_refused() {
    let text = format!(
        r#"{{"account": "12345", "users": [{{"name": "a", "accessKeyId": "AK", "secretAccessKey": "s",
            "policy": {ALLOW_ALL}}}]}}"#
    );
    assert_eq!(
        parse_error(&text),
        "auth.json: account: an account id is 12 digits, got \"12345\""
    );
}

#[test]
fn unknown_fields_are_refused_with_their_place() {
    let err = parse_error(&with_user(&format!(
        r#"{{"name": "a", "acessKeyId": "AK", "secretAccessKey": "s", "policy": {ALLOW_ALL}}}"#
    )));
    assert!(
        err.starts_with("auth.json: unknown field `acessKeyId`, expected one of"),
        "{err}"
    );
    assert!(err.contains("line 1 column"), "{err}");
    let err = parse_error(r#"{"user": []}"#);
    assert!(err.starts_with("auth.json: unknown field `user`"), "{err}");
}

#[test]
fn text_that_is_not_json_is_refused_with_line_and_column() {
    let err = AuthConfig::parse("{\n  \"users\": [,]\n}", FILE).unwrap_err();
    assert!(matches!(err, AuthConfigError::Syntax { .. }));
    assert!(err.to_string().contains("line 2 column"), "{err}");
}

#[test]
fn a_file_without_users_is_refused() {
    assert_eq!(
        parse_error("{}"),
        "auth.json: users: no users: every request would be refused"
    );
}

#[test]
fn duplicate_access_key_ids_are_refused() {
    let text = format!(
        r#"{{"users": [
            {{"name": "a", "accessKeyId": "AKIA1", "secretAccessKey": "s1", "policy": {ALLOW_ALL}}},
            {{"name": "b", "accessKeyId": "AKIA1", "secretAccessKey": "s2", "policy": {ALLOW_ALL}}}]}}"#
    );
    assert_eq!(
        parse_error(&text),
        "auth.json: users[1].accessKeyId: \"AKIA1\" is already the access key of users[0]"
    );
}

#[test]
fn duplicate_user_names_are_refused_whatever_their_case() {
    let text = format!(
        r#"{{"users": [
            {{"name": "Bob", "accessKeyId": "AKIA1", "secretAccessKey": "s1", "policy": {ALLOW_ALL}}},
            {{"name": "bob", "accessKeyId": "AKIA2", "secretAccessKey": "s2", "policy": {ALLOW_ALL}}}]}}"#
    );
    assert_eq!(
        parse_error(&text),
        "auth.json: users[1].name: \"bob\" is already the name of users[0]"
    );
}

#[test]
fn empty_secrets_and_keys_are_refused() {
    assert_eq!(
        parse_error(&with_user(&format!(
            r#"{{"name": "a", "accessKeyId": "AK", "secretAccessKey": "", "policy": {ALLOW_ALL}}}"#
        ))),
        "auth.json: users[0].secretAccessKey: must not be empty"
    );
    assert_eq!(
        parse_error(&with_user(&format!(
            r#"{{"name": "a", "accessKeyId": "", "secretAccessKey": "s", "policy": {ALLOW_ALL}}}"#
        ))),
        "auth.json: users[0].accessKeyId: must not be empty"
    );
}

#[test]
fn a_secret_with_surrounding_whitespace_is_refused_without_echoing_it() {
    let err = parse_error(&with_user(&format!(
        r#"{{"name": "a", "accessKeyId": "AK", "secretAccessKey": "hunter2 ", "policy": {ALLOW_ALL}}}"#
    )));
    assert_eq!(
        err,
        "auth.json: users[0].secretAccessKey: starts or ends with whitespace"
    );
}

#[test]
fn names_and_key_ids_that_cannot_appear_in_arns_or_credentials_are_refused() {
    assert_eq!(
        parse_error(&with_user(&format!(
            r#"{{"name": "a/b", "accessKeyId": "AK", "secretAccessKey": "s", "policy": {ALLOW_ALL}}}"#
        ))),
        "auth.json: users[0].name: \"a/b\" is not an IAM name (1-64 letters, digits and +=,.@_-)"
    );
    assert_eq!(
        parse_error(&with_user(&format!(
            r#"{{"name": "a", "accessKeyId": "AK/1", "secretAccessKey": "s", "policy": {ALLOW_ALL}}}"#
        ))),
        "auth.json: users[0].accessKeyId: \"AK/1\" is not an access key id (1-128 letters, digits and _)"
    );
}

#[test]
fn a_policy_error_names_the_user_and_the_statement() {
    let text = format!(
        r#"{{"users": [
            {{"name": "a", "accessKeyId": "AKIA1", "secretAccessKey": "s1", "policy": {ALLOW_ALL}}},
            {{"name": "b", "accessKeyId": "AKIA2", "secretAccessKey": "s2",
              "policy": {{"Statement": [{{"Action": "*", "Resource": "*"}}]}}}}]}}"#
    );
    assert_eq!(
        parse_error(&text),
        "auth.json: users[1].policy.Statement[0].Effect: Effect must be \"Allow\" or \"Deny\""
    );
    assert_eq!(
        parse_error(&with_user(
            r#"{"name": "a", "accessKeyId": "AK", "secretAccessKey": "s", "policy": {}}"#
        )),
        "auth.json: users[0].policy: a policy needs a Statement"
    );
}

#[test]
fn a_user_without_a_policy_is_refused() {
    let err = parse_error(&with_user(
        r#"{"name": "a", "accessKeyId": "AK", "secretAccessKey": "s"}"#,
    ));
    assert!(err.starts_with("auth.json: missing field `policy`"), "{err}");
}

#[test]
fn role_errors_name_the_role() {
    let text = format!(
        r#"{{"users": [{{"name": "a", "accessKeyId": "AK", "secretAccessKey": "s", "policy": {ALLOW_ALL}}}],
            "roles": [{{"name": "R", "policy": {ALLOW_ALL}}},
                      {{"name": "r", "policy": {ALLOW_ALL}}}]}}"#
    );
    assert_eq!(
        parse_error(&text),
        "auth.json: roles[1].name: \"r\" is already the name of roles[0]"
    );
    let text = format!(
        r#"{{"users": [{{"name": "a", "accessKeyId": "AK", "secretAccessKey": "s", "policy": {ALLOW_ALL}}}],
            "roles": [{{"name": "R", "policy": {{"Statement": {{"Effect": "Allow", "Action": "*"}}}}}}]}}"#
    );
    assert_eq!(
        parse_error(&text),
        "auth.json: roles[0].policy.Statement[0]: a statement needs 'Resource' or 'NotResource'"
    );
}

#[test]
fn load_reads_the_file_and_names_it_when_it_cannot() {
    let path = std::env::temp_dir().join(format!("stepyard-auth-test-{}.json", std::process::id()));
    std::fs::write(&path, EXAMPLE).unwrap();
    let config = AuthConfig::load(&path);
    std::fs::remove_file(&path).unwrap();
    assert_eq!(config.unwrap().principals().count(), 2);

    let err = AuthConfig::load(&path).unwrap_err();
    assert!(matches!(err, AuthConfigError::Read { .. }));
    assert!(
        err.to_string()
            .starts_with(&format!("{}: cannot read: ", path.display())),
        "{err}"
    );
}

#[test]
fn debug_output_never_shows_secrets() {
    let shown = format!("{:?}", example());
    assert!(
        !shown.contains("deployer-secret") && !shown.contains("bob-secret"),
        "{shown}"
    );
    assert!(shown.contains("AKIADEPLOYER"));
}

// ---- authentication ----

struct Request {
    headers: Vec<(String, String)>,
    body: String,
}

impl Request {
    fn signed_by(key: &str, secret: &str) -> Request {
        let body = format!(r#"{{"stateMachineArn": "{FOO}"}}"#);
        let mut headers = vec![
            ("Host".to_owned(), "127.0.0.1:8083".to_owned()),
            ("X-Amz-Target".to_owned(), "AWSStepFunctions.StartExecution".to_owned()),
            ("Content-Type".to_owned(), "application/x-amz-json-1.0".to_owned()),
            ("X-Amz-Date".to_owned(), "20261125T100000Z".to_owned()),
        ];
        let authorization = {
            let pairs: Vec<(&str, &[u8])> = headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())).collect();
            let parts = RequestParts {
                method: "POST",
                path: "/",
                query: "",
                headers: &pairs,
                body: body.as_bytes(),
            };
            sigv4::sign(&parts, key, secret, "us-east-1", sigv4::SERVICE).unwrap()
        };
        headers.push(("Authorization".to_owned(), authorization));
        Request { headers, body }
    }

    fn authenticate<'c>(&self, config: &'c AuthConfig) -> Result<&'c Principal, AuthError> {
        let pairs: Vec<(&str, &[u8])> = self.headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())).collect();
        let parts = RequestParts {
            method: "POST",
            path: "/",
            query: "",
            headers: &pairs,
            body: self.body.as_bytes(),
        };
        config.authenticate(&parts, Utc.with_ymd_and_hms(2026, 11, 25, 10, 1, 0).unwrap())
    }
}

#[test]
fn authenticate_returns_the_user_whose_key_signed() {
    let config = example();
    let principal = Request::signed_by("AKIABOB", "bob-secret")
        .authenticate(&config)
        .unwrap();
    assert_eq!(principal.name(), "bob");
    assert_eq!(principal.arn(), "arn:aws:iam::123456789012:user/bob");
}

#[test]
fn an_unknown_access_key_is_an_unrecognized_client() {
    let err = Request::signed_by("AKIANOBODY", "bob-secret")
        .authenticate(&example())
        .unwrap_err();
    assert_eq!(err, AuthError::UnrecognizedClient);
    assert_eq!(err.code(), "UnrecognizedClientException");
    assert_eq!(err.status(), 400);
    assert_eq!(
        err.to_string(),
        "The security token included in the request is invalid."
    );
}

#[test]
fn another_users_secret_is_an_invalid_signature() {
    let err = Request::signed_by("AKIABOB", "deployer-secret")
        .authenticate(&example())
        .unwrap_err();
    assert_eq!(err, AuthError::SignatureDoesNotMatch);
    assert_eq!(err.code(), "InvalidSignatureException");
}

#[test]
fn an_unsigned_request_is_missing_its_token() {
    let mut request = Request::signed_by("AKIABOB", "bob-secret");
    request.headers.pop();
    assert_eq!(
        request.authenticate(&example()).unwrap_err(),
        AuthError::MissingAuthenticationToken
    );
}

// ---- authorisation ----

fn bob(config: &AuthConfig) -> &Principal {
    config.principals().find(|p| p.name() == "bob").unwrap()
}

#[test]
fn authorize_allows_what_the_policy_allows() {
    let config = example();
    assert_eq!(bob(&config).authorize("states:DescribeStateMachine", FOO), Ok(()));
    assert_eq!(bob(&config).authorize("states:listexecutions", FOO), Ok(()));
    let deployer = config.principals().next().unwrap();
    assert_eq!(deployer.authorize("states:StartExecution", FOO), Ok(()));
    assert!(deployer.authorize("lambda:InvokeFunction", FOO).is_err());
}

#[test]
fn implicit_deny_reads_like_aws() {
    let config = example();
    let denied = bob(&config).authorize("states:StartExecution", FOO).unwrap_err();
    assert!(!denied.explicit);
    assert_eq!(denied.code(), "AccessDeniedException");
    assert_eq!(denied.status(), 400);
    assert_eq!(
        denied.to_string(),
        "User: arn:aws:iam::123456789012:user/bob is not authorized to perform: states:StartExecution on resource: \
         arn:aws:states:us-east-1:123456789012:stateMachine:Foo because no identity-based policy allows the \
         states:StartExecution action"
    );
}

#[test]
fn explicit_deny_reads_like_aws() {
    let config = example();
    let denied = bob(&config).authorize("states:DeleteStateMachine", FOO).unwrap_err();
    assert!(denied.explicit);
    assert_eq!(
        denied.to_string(),
        "User: arn:aws:iam::123456789012:user/bob is not authorized to perform: states:DeleteStateMachine on \
         resource: arn:aws:states:us-east-1:123456789012:stateMachine:Foo with an explicit deny in an \
         identity-based policy"
    );
}

// ---- roles ----

const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/StepFunctionLambdaRole";

#[test]
fn roles_are_found_by_their_arn_only() {
    let config = example();
    assert_eq!(config.role(ROLE_ARN).unwrap().name(), "StepFunctionLambdaRole");
    assert!(config.role("StepFunctionLambdaRole").is_none());
    assert!(config.role("arn:aws:iam::123456789012:role/Other").is_none());
}

#[test]
fn a_role_may_invoke_the_functions_its_policy_names() {
    let config = example();
    let role = config.role(ROLE_ARN).unwrap();
    assert_eq!(
        role.allows_invoke("arn:aws:lambda:us-east-1:123456789012:function:orderPlacement"),
        Ok(())
    );
    assert_eq!(
        role.allows_invoke("arn:aws:lambda:eu-west-1:123456789012:function:orderPlacementV2:prod"),
        Ok(())
    );
}

#[test]
fn a_role_denied_invoke_gets_lambdas_assumed_role_message() {
    let config = example();
    let role = config.role(ROLE_ARN).unwrap();
    assert_eq!(
        role.allows_invoke("arn:aws:lambda:us-east-1:123456789012:function:payment"),
        Err(
            "User: arn:aws:sts::123456789012:assumed-role/StepFunctionLambdaRole/stepyard is not authorized to \
             perform: lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:123456789012:function:payment \
             because no identity-based policy allows the lambda:InvokeFunction action"
                .to_owned()
        )
    );
    let denied = role
        .allows_invoke_as(
            "arn:aws:lambda:us-east-1:123456789012:function:payment",
            "GGzJDbzYyvarbIioekwoULLKpGuSfJRc",
        )
        .unwrap_err();
    assert!(denied.starts_with(
        "User: arn:aws:sts::123456789012:assumed-role/StepFunctionLambdaRole/GGzJDbzYyvarbIioekwoULLKpGuSfJRc is"
    ));
}

#[test]
fn a_role_explicitly_denied_invoke_says_so() {
    let text = format!(
        r#"{{"users": [{{"name": "a", "accessKeyId": "AK", "secretAccessKey": "s", "policy": {ALLOW_ALL}}}],
            "roles": [{{"name": "R", "policy": {{"Statement": [
                {{"Effect": "Allow", "Action": "lambda:*", "Resource": "*"}},
                {{"Effect": "Deny", "Action": "lambda:InvokeFunction", "Resource": "*:function:payment"}}]}}}}]}}"#
    );
    let config = AuthConfig::parse(&text, FILE).unwrap();
    let role = config.role("arn:aws:iam::123456789012:role/R").unwrap();
    assert_eq!(
        role.allows_invoke("arn:aws:lambda:us-east-1:123456789012:function:payment"),
        Err(
            "User: arn:aws:sts::123456789012:assumed-role/R/stepyard is not authorized to perform: \
             lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:123456789012:function:payment with an \
             explicit deny in an identity-based policy"
                .to_owned()
        )
    );
    assert_eq!(
        role.allows_invoke("arn:aws:lambda:us-east-1:123456789012:function:other"),
        Ok(())
    );
}
