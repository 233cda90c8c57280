//! `stepyard graph`: the console's graph as an SVG file, plain or coloured
//! by an execution stored in the data directory.

use std::process::{Command, Output};

fn stepyard(data: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_stepyard"));
    c.arg("--data")
        .arg(data)
        .arg("--plugins")
        .arg("/nonexistent-plugin-folder");
    c
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("stepyard-graph-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn ok(out: Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The opening tag of the element that stands for state `name`.
fn state_tag<'a>(svg: &'a str, name: &str) -> &'a str {
    let at = svg
        .find(&format!(r#"data-state="{name}""#))
        .unwrap_or_else(|| panic!("no {name} in the SVG"));
    let start = svg[..at].rfind('<').unwrap();
    &svg[start..at + svg[at..].find('>').unwrap()]
}

const CAUGHT: &str = r#"{"StartAt":"Try","States":{
  "Try":{"Type":"Parallel","Branches":[{"StartAt":"Boom","States":{"Boom":{"Type":"Fail","Error":"Oops"}}}],
         "Catch":[{"ErrorEquals":["Oops"],"Next":"Recover"}],"Next":"Never"},
  "Never":{"Type":"Pass","End":true},
  "Recover":{"Type":"Pass","End":true}}}"#;

#[test]
fn a_definition_is_drawn_to_a_file_with_every_state() {
    let dir = temp_dir("plain");
    let def = dir.join("caught.asl.json");
    std::fs::write(&def, CAUGHT).unwrap();
    let svg_path = dir.join("caught.svg");
    ok(stepyard(&dir)
        .arg("graph")
        .arg(&def)
        .arg("--svg")
        .arg(&svg_path)
        .output()
        .unwrap());
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    assert!(svg.starts_with("<?xml") && svg.trim_end().ends_with("</svg>"));
    for name in ["Try", "Boom", "Never", "Recover"] {
        assert!(state_tag(&svg, name).contains(r#"data-status="not-started""#));
    }
}

#[test]
fn an_execution_colours_the_states_it_ran() {
    let dir = temp_dir("run");
    let def = dir.join("caught.asl.json");
    std::fs::write(&def, CAUGHT).unwrap();
    let out = stepyard(&dir)
        .args(["run", "--json", "--name", "first"])
        .arg(&def)
        .output()
        .unwrap();
    ok(out);
    // Without the definition file: the one the execution ran is drawn.
    let svg = ok(stepyard(&dir)
        .args(["graph", "--execution", "caught:first", "--svg", "-"])
        .output()
        .unwrap());
    assert!(
        state_tag(&svg, "Try").contains(r#"data-status="caught-error""#),
        "{}",
        state_tag(&svg, "Try")
    );
    assert!(state_tag(&svg, "Boom").contains(r#"data-status="failed""#));
    assert!(state_tag(&svg, "Recover").contains(r#"data-status="succeeded""#));
    assert!(state_tag(&svg, "Never").contains(r#"data-status="not-started""#));
}

/// What `stepyard graph ARGS` says on stderr when it refuses (exit code 2).
fn refused(dir: &std::path::Path, args: &[&std::ffi::OsStr]) -> String {
    let out = stepyard(dir)
        .arg("graph")
        .args(args)
        .args(["--svg", "-"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn bad_input_is_named() {
    let dir = temp_dir("bad");
    let def = dir.join("broken.json");
    std::fs::write(&def, "{\"StartAt\": ").unwrap();
    let said = refused(&dir, &[def.as_os_str()]);
    assert!(
        said.contains("broken.json") && said.contains("not valid JSON"),
        "{said}"
    );

    std::fs::write(&def, r#"{"States": {}}"#).unwrap();
    assert!(refused(&dir, &[def.as_os_str()]).contains("StartAt"));

    let said = refused(&dir, &["--execution".as_ref(), "nope:none".as_ref()]);
    assert!(said.contains("ExecutionDoesNotExist"), "{said}");
}
