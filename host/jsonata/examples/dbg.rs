fn main() {
    let src = std::env::args().nth(1).unwrap();
    let input: Option<serde_json::Value> = std::env::args().nth(2).map(|s| serde_json::from_str(&s).unwrap());
    let r = stepyard_jsonata::Expression::parse(&src)
        .and_then(|e| e.evaluate(input.as_ref(), &stepyard_jsonata::Env::new()));
    match r {
        Ok(v) => println!("{v:?}"),
        Err(e) => println!("ERR {e} {:?}", e.position),
    }
}
