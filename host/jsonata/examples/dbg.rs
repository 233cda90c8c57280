//! Evaluate one expression from the command line, for poking at behaviour:
//! `cargo run --release -p stepyard-jsonata --example dbg -- 'EXPR' ['INPUT_JSON'] [aws]`.

fn main() {
    let Some(src) = std::env::args().nth(1) else {
        eprintln!("usage: dbg EXPR [INPUT_JSON] [aws]");
        return;
    };
    let input: Option<serde_json::Value> = std::env::args()
        .nth(2)
        .map(|s| serde_json::from_str(&s).expect("INPUT_JSON must be JSON"));
    let aws = std::env::args().nth(3).is_some_and(|a| a == "aws");
    let env = stepyard_jsonata::Env::new().aws_functions(aws);
    match stepyard_jsonata::Expression::parse(&src).and_then(|e| e.evaluate(input.as_ref(), &env)) {
        Ok(Some(v)) => println!("{v}"),
        Ok(None) => println!("(undefined)"),
        Err(e) => println!("error {e} (position {:?})", e.position),
    }
}
