//! `stepyard plugin new NAME --lang …`: a buildable plugin project with a
//! handler, a least-privilege manifest, a workflow with its test suite, a
//! README and the WIT contract (and, for Rust and JavaScript, the SDK).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// The languages a plugin can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Lang {
    Rust,
    Python,
    Js,
    Ts,
}

impl Lang {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Lang::Rust => "Rust",
            Lang::Python => "Python",
            Lang::Js => "JavaScript",
            Lang::Ts => "TypeScript",
        }
    }
}

const WIT: &str = include_str!("../../../../../wit/plugin.wit");
const RUST_SDK: &str = include_str!("../../../../../plugins/rust/sdk/src/lib.rs");
const JS_SDK: &str = include_str!("../../../../../plugins/js/sdk/stepyard.js");
const PYTHON_SDK: &str = include_str!("../../../../../plugins/python/sdk/stepyard.py");

macro_rules! template {
    ($path:literal) => {
        include_str!(concat!("../../../templates/plugin/", $path))
    };
}

/// Whether `name` can be a plugin (and Lambda function) name: 1-64 of
/// letters, digits, `-` and `_`, starting with a letter.
pub(crate) fn check_name(name: &str) -> anyhow::Result<()> {
    let ok = (1..=64).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !ok {
        bail!("'{name}' cannot name a plugin: use 1-64 letters, digits, '-' or '_', starting with a letter");
    }
    if name.len() < 3 {
        bail!("'{name}' is too short: the plugin's table is named after it, and a table name needs 3 characters");
    }
    Ok(())
}

/// The Rust crate name for plugin `name` (cargo names the component after it).
pub(crate) fn crate_name(name: &str) -> String {
    name.to_ascii_lowercase().replace('-', "_")
}

/// Writes a new project for plugin `name` in `dir` (which must not exist
/// or be empty); the files written.
pub(crate) fn scaffold(name: &str, lang: Lang, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    check_name(name)?;
    if dir.exists() && dir.read_dir().map(|mut d| d.next().is_some()).unwrap_or(true) {
        bail!("{} already exists and is not empty", dir.display());
    }
    let (source, memory_mb, toolchain) = match lang {
        Lang::Rust => (
            "src/lib.rs",
            32,
            "The build needs the Rust target wasm32-wasip2 (added with rustup on first use).",
        ),
        Lang::Python => (
            "app.py",
            128,
            "The build installs componentize-py from PyPI on first use, under the toolchain folder it names.",
        ),
        Lang::Js => (
            "app.js",
            128,
            "The build needs Node.js and npm; it installs componentize-js and esbuild from npm on first use, under the toolchain folder it names.",
        ),
        Lang::Ts => (
            "app.ts",
            128,
            "The build needs Node.js and npm; it installs componentize-js and esbuild from npm on first use (esbuild strips the types; run `tsc --noEmit` to check them).",
        ),
    };
    let fill = |text: &str| {
        text.replace("{{name}}", name)
            .replace("{{crate}}", &crate_name(name))
            .replace("{{language}}", lang.label())
            .replace("{{source}}", source)
            .replace("{{memory_mb}}", &memory_mb.to_string())
            .replace("{{toolchain}}", toolchain)
    };
    let mut files: Vec<(String, String)> = vec![
        (format!("{name}.toml"), fill(template!("common/manifest.toml"))),
        (format!("{name}.asl.json"), fill(template!("common/workflow.asl.json"))),
        (
            format!("{name}.test.yaml"),
            fill(template!("common/workflow.test.yaml")),
        ),
        ("README.md".into(), fill(template!("common/README.md"))),
        (".gitignore".into(), template!("common/gitignore").into()),
        ("wit/plugin.wit".into(), WIT.into()),
    ];
    match lang {
        Lang::Rust => {
            files.push(("Cargo.toml".into(), fill(template!("rust/Cargo.toml"))));
            files.push(("src/lib.rs".into(), fill(template!("rust/lib.rs"))));
            files.push(("sdk/Cargo.toml".into(), template!("rust/sdk-Cargo.toml").into()));
            // The SDK finds the WIT three folders up in this repository,
            // one up in a project.
            files.push((
                "sdk/src/lib.rs".into(),
                RUST_SDK.replace("\"../../../wit\"", "\"../wit\""),
            ));
        }
        Lang::Python => {
            files.push(("app.py".into(), fill(template!("python/app.py"))));
            files.push(("stepyard.py".into(), PYTHON_SDK.into()));
        }
        Lang::Js => {
            files.push(("app.js".into(), fill(template!("js/app.js"))));
            files.push(("stepyard.js".into(), JS_SDK.into()));
        }
        Lang::Ts => {
            files.push(("app.ts".into(), fill(template!("ts/app.ts"))));
            files.push(("stepyard.js".into(), JS_SDK.into()));
            files.push(("stepyard.d.ts".into(), template!("ts/stepyard.d.ts").into()));
        }
    }
    let mut written = Vec::new();
    for (relative, text) in files {
        let path = dir.join(&relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_lambdas_rules_and_fit_a_table() {
        assert!(check_name("greet").is_ok());
        assert!(check_name("order-Placement_2").is_ok());
        for bad in ["", "1st", "a b", "ab", "x/y", &"a".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        assert_eq!(crate_name("Order-Placement"), "order_placement");
    }

    #[test]
    fn the_rust_sdk_template_points_at_the_projects_wit() {
        assert!(
            RUST_SDK.contains("\"../../../wit\""),
            "the repository's SDK moved its WIT path"
        );
    }
}
