//! `stepyard plugin build [DIR]`: turns a plugin project (from `plugin
//! new`) into `dist/NAME.wasm` and `dist/NAME.toml`. The toolchain each
//! language needs is installed on first use from the registries (rustup's
//! target, PyPI, npm), pinned to the versions below, into a toolchain
//! folder it names; nothing else is downloaded. A build whose inputs did not
//! change is skipped.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};
use sha2::{Digest, Sha256};

use super::new::{Lang, crate_name};

/// Pinned tool versions: the same project builds with the same tools.
const COMPONENTIZE_PY: &str = "0.25.1";
const COMPONENTIZE_JS: &str = "0.23.0";
const ESBUILD: &str = "0.28.2";

/// The Node.js driver for JavaScript/TypeScript: esbuild bundles the entry
/// (the stepyard imports stay imports), componentize-js makes the bundle a
/// component for the task-plugin world.
const JS_DRIVER: &str = r#"import { build } from 'esbuild';
import { componentize } from '@bytecodealliance/componentize-js';
import { writeFile } from 'node:fs/promises';

const [entry, witPath, out] = process.argv.slice(2);
const bundle = await build({
  entryPoints: [entry],
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  write: false,
  external: ['stepyard:*', 'wasi:*'],
  logLevel: 'error',
});
const { component } = await componentize(bundle.outputFiles[0].text, {
  witPath,
  worldName: 'task-plugin',
  disableFeatures: ['http', 'fetch-event'],
});
await writeFile(out, component);
"#;

/// A built plugin.
pub(crate) struct Built {
    pub name: String,
    pub wasm: PathBuf,
    pub manifest: PathBuf,
    /// False when the inputs had not changed since the last build.
    pub rebuilt: bool,
}

/// Which language the project in `dir` is written in, and the plugin's name
/// (its manifest, `NAME.toml`).
pub(crate) fn project(dir: &Path) -> anyhow::Result<(Lang, String)> {
    let lang = if dir.join("Cargo.toml").is_file() {
        Lang::Rust
    } else if dir.join("app.py").is_file() {
        Lang::Python
    } else if dir.join("app.ts").is_file() {
        Lang::Ts
    } else if dir.join("app.js").is_file() {
        Lang::Js
    } else {
        bail!(
            "{} is not a plugin project: it has no Cargo.toml, app.py, app.ts or app.js (make one with `stepyard plugin new`)",
            dir.display()
        );
    };
    let mut manifests = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_owned();
        if path.extension().is_some_and(|e| e == "toml")
            && !["Cargo", "rust-toolchain", "pyproject"].contains(&stem.as_str())
        {
            manifests.push(stem);
        }
    }
    match manifests.as_slice() {
        [name] => Ok((lang, name.clone())),
        [] => bail!(
            "{} has no manifest (NAME.toml): the plugin's name is its manifest's",
            dir.display()
        ),
        many => bail!(
            "{} has several manifests ({}): keep one",
            dir.display(),
            many.join(", ")
        ),
    }
}

/// Where toolchains are installed: `STEPYARD_TOOLCHAINS`, or
/// `~/.cache/stepyard/toolchains`.
pub(crate) fn toolchains_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("STEPYARD_TOOLCHAINS") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").map_or_else(std::env::temp_dir, PathBuf::from);
    home.join(".cache/stepyard/toolchains")
}

/// Builds the project in `dir` into `out` (default `DIR/dist`).
pub(crate) fn build(dir: &Path, out: Option<&Path>) -> anyhow::Result<Built> {
    let (lang, name) = project(dir)?;
    let out = out.map_or_else(|| dir.join("dist"), Path::to_path_buf);
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let wasm = out.join(format!("{name}.wasm"));
    let manifest = out.join(format!("{name}.toml"));
    let stamp_path = out.join(format!(".{name}.build-stamp"));
    let stamp = inputs_hash(dir, &out, lang)?;
    let rebuilt = !(wasm.is_file() && std::fs::read_to_string(&stamp_path).ok().as_deref() == Some(stamp.as_str()));
    if rebuilt {
        let started = Instant::now();
        let partial = out.join(format!("{name}.wasm.partial"));
        match lang {
            Lang::Rust => build_rust(dir, &name, &partial)?,
            Lang::Python => build_python(dir, &partial)?,
            Lang::Js | Lang::Ts => build_js(dir, lang, &partial)?,
        }
        std::fs::rename(&partial, &wasm).with_context(|| format!("cannot write {}", wasm.display()))?;
        // Hashed again: a first build may add inputs (cargo's Cargo.lock).
        std::fs::write(&stamp_path, inputs_hash(dir, &out, lang)?)?;
        eprintln!(
            "built {} ({} KiB) in {:.1} s",
            wasm.display(),
            std::fs::metadata(&wasm)?.len() >> 10,
            started.elapsed().as_secs_f64()
        );
    }
    std::fs::copy(dir.join(format!("{name}.toml")), &manifest)
        .with_context(|| format!("cannot copy the manifest to {}", manifest.display()))?;
    Ok(Built {
        name,
        wasm,
        manifest,
        rebuilt,
    })
}

/// A hash of the project's sources and the tool versions.
fn inputs_hash(dir: &Path, out: &Path, lang: Lang) -> anyhow::Result<String> {
    let mut files = Vec::new();
    collect(dir, out, &mut files)?;
    files.sort();
    let mut h = Sha256::new();
    h.update(format!("{lang:?} {COMPONENTIZE_PY} {COMPONENTIZE_JS} {ESBUILD}\n"));
    for f in files {
        h.update(f.strip_prefix(dir).unwrap_or(&f).to_string_lossy().as_bytes());
        h.update(std::fs::read(&f).with_context(|| format!("cannot read {}", f.display()))?);
    }
    Ok(format!("{:x}", h.finalize()))
}

fn collect(dir: &Path, out: &Path, files: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if path == out || ["target", "node_modules", "dist", "__pycache__", ".git"].contains(&name) {
            continue;
        }
        if path.is_dir() {
            collect(&path, out, files)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
}

/// Runs `command`, failing with what it printed when it fails.
fn run(mut command: Command, what: &str) -> anyhow::Result<()> {
    let output = command
        .output()
        .with_context(|| format!("{what}: cannot start {:?}", command.get_program()))?;
    if !output.status.success() {
        bail!(
            "{what} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

fn build_rust(dir: &Path, name: &str, partial: &Path) -> anyhow::Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .any(|l| l.trim() == "wasm32-wasip2")
        })
        .unwrap_or(true);
    if !installed {
        eprintln!("installing the Rust target wasm32-wasip2 with rustup (first use)");
        let mut add = Command::new("rustup");
        add.args(["target", "add", "wasm32-wasip2"]);
        run(add, "rustup target add wasm32-wasip2")?;
    }
    let mut cargo = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cargo
        .args([
            "build",
            "--release",
            "--quiet",
            "--target",
            "wasm32-wasip2",
            "--manifest-path",
        ])
        .arg(dir.join("Cargo.toml"));
    run(cargo, "cargo build")?;
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| dir.join("target"), PathBuf::from);
    let artifact = target
        .join("wasm32-wasip2/release")
        .join(format!("{}.wasm", crate_name(name)));
    std::fs::copy(&artifact, partial).with_context(|| format!("cannot copy {}", artifact.display()))?;
    Ok(())
}

/// Holds the toolchain folder's lock while it lives, so two builds never
/// install the same toolchain at once.
fn lock_toolchains() -> anyhow::Result<std::fs::File> {
    let dir = toolchains_dir();
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let file = std::fs::File::create(dir.join(".lock"))?;
    file.lock()
        .with_context(|| format!("cannot lock {}", dir.join(".lock").display()))?;
    Ok(file)
}

fn build_python(dir: &Path, partial: &Path) -> anyhow::Result<()> {
    let venv = toolchains_dir().join(format!("componentize-py-{COMPONENTIZE_PY}"));
    let tool = venv.join("bin/componentize-py");
    let installing = lock_toolchains()?;
    if !tool.is_file() {
        eprintln!(
            "installing componentize-py {COMPONENTIZE_PY} from PyPI into {} (first use)",
            venv.display()
        );
        let mut make = Command::new("python3");
        make.args(["-m", "venv"]).arg(&venv);
        run(make, "python3 -m venv")?;
        let mut pip = Command::new(venv.join("bin/pip"));
        pip.args(["install", "--quiet", "--disable-pip-version-check"])
            .arg(format!("componentize-py=={COMPONENTIZE_PY}"));
        run(pip, "pip install componentize-py")?;
    }
    drop(installing);
    let mut build = Command::new(&tool);
    build
        .current_dir(dir)
        .args(["-d", "wit", "-w", "task-plugin", "componentize", "-p", "."]);
    // The guest sees only the folders on its path: a module linked into
    // the project from elsewhere (the repository's SDK) is found where it is.
    for linked in linked_modules(dir)? {
        build.arg("-p").arg(linked);
    }
    build.args(["app", "-o"]).arg(std::path::absolute(partial)?);
    run(build, "componentize-py")
}

/// The folders of the `*.py` files in `dir` that are symbolic links to files elsewhere.
fn linked_modules(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut folders = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let is_link = path.symlink_metadata().is_ok_and(|m| m.file_type().is_symlink());
        if is_link && path.extension().is_some_and(|e| e == "py") {
            let target =
                std::fs::canonicalize(&path).with_context(|| format!("{} is a broken link", path.display()))?;
            if let Some(folder) = target.parent()
                && !folders.iter().any(|f: &PathBuf| f == folder)
            {
                folders.push(folder.to_path_buf());
            }
        }
    }
    Ok(folders)
}

fn build_js(dir: &Path, lang: Lang, partial: &Path) -> anyhow::Result<()> {
    let tools = toolchains_dir().join(format!("componentize-js-{COMPONENTIZE_JS}-esbuild-{ESBUILD}"));
    let installing = lock_toolchains()?;
    if !tools.join("node_modules/@bytecodealliance/componentize-js").is_dir()
        || !tools.join("node_modules/esbuild").is_dir()
    {
        eprintln!(
            "installing componentize-js {COMPONENTIZE_JS} and esbuild {ESBUILD} from npm into {} (first use)",
            tools.display()
        );
        std::fs::create_dir_all(&tools)?;
        let package = serde_json::json!({
            "name": "stepyard-js-toolchain",
            "private": true,
            "type": "module",
            "dependencies": {
                "@bytecodealliance/componentize-js": COMPONENTIZE_JS,
                "esbuild": ESBUILD,
            }
        });
        std::fs::write(tools.join("package.json"), package.to_string())?;
        let mut npm = Command::new("npm");
        npm.current_dir(&tools)
            .args(["install", "--no-audit", "--no-fund", "--loglevel=error"]);
        run(npm, "npm install (JavaScript plugins need Node.js 18+ and npm)")?;
    }
    let driver = tools.join("build.mjs");
    if std::fs::read_to_string(&driver).ok().as_deref() != Some(JS_DRIVER) {
        std::fs::write(&driver, JS_DRIVER)?;
    }
    drop(installing);
    let entry = if lang == Lang::Ts { "app.ts" } else { "app.js" };
    let mut node = Command::new("node");
    node.arg(&driver)
        .arg(std::path::absolute(dir.join(entry))?)
        .arg(std::path::absolute(dir.join("wit"))?)
        .arg(std::path::absolute(partial)?);
    run(node, "componentize-js (JavaScript plugins need Node.js 18+)")
}
