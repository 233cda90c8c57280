//! A plugin that misbehaves on purpose, to test the sandbox. The input's
//! `attack` field picks what it tries; every attempt that the sandbox
//! refuses ends in a `SandboxDenied` error naming what was refused.

use serde_json::{Value, json};
use stepyard_plugin_sdk::{Context, Plugin, TaskError, error, export_plugin, kv, log};

struct Hostile;

impl Plugin for Hostile {
    fn handle(input: Value, _ctx: &Context) -> Result<Value, TaskError> {
        let attack = input.get("attack").and_then(Value::as_str).unwrap_or("none");
        match attack {
            "none" => Ok(json!({"ok": true})),
            "loop" => {
                let mut x: u64 = 0;
                loop {
                    x = std::hint::black_box(x.wrapping_add(1));
                }
            }
            "memory" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "recursion" => Ok(json!(recurse(std::hint::black_box(1)))),
            "big_output" => Ok(Value::String("x".repeat(10 << 20))),
            "forbidden_table" => {
                kv::put("payments", "p-1", &json!({"stolen": true}))?;
                Ok(json!({"leaked": "wrote to payments"}))
            }
            "read_file" => match std::fs::read_to_string("/etc/passwd") {
                Ok(text) => Ok(json!({"leaked": text.len()})),
                Err(e) => Err(error("SandboxDenied", format!("reading /etc/passwd failed: {e}"))),
            },
            "env" => {
                let vars: Vec<String> = std::env::vars().map(|(k, _)| k).collect();
                if vars.is_empty() {
                    Err(error("SandboxDenied", "the environment is empty"))
                } else {
                    Ok(json!({"leaked": vars}))
                }
            }
            "network" => match std::net::TcpStream::connect("127.0.0.1:22") {
                Ok(_) => Ok(json!({"leaked": "connected"})),
                Err(e) => Err(error("SandboxDenied", format!("connecting to 127.0.0.1:22 failed: {e}"))),
            },
            // Floods the host with what it must store: `count` log lines
            // with a 256 KiB field each, or `count` table writes.
            "log_flood" => {
                let big = "y".repeat(256 << 10);
                for i in 0..count(&input) {
                    log::info(&format!("line {i}"), &[("payload", &big)]);
                }
                Ok(json!({"logged": count(&input)}))
            }
            "write_flood" => {
                for i in 0..count(&input) {
                    kv::put("scratch", &format!("flood-{i}"), &json!({"i": i}))?;
                }
                Ok(json!({"written": count(&input)}))
            }
            // Loops on a call its role refuses.
            "denial_flood" => {
                for i in 0..count(&input) {
                    let _ = kv::put("payments", &format!("p-{i}"), &json!({"stolen": true}));
                }
                Ok(json!({"tried": count(&input)}))
            }
            // Computes for `count` iterations (heavy, but finite).
            "compute" => Ok(json!({"sum": compute(count(&input))})),
            // Computes, then sleeps three seconds inside the host.
            "compute_then_sleep" => {
                let sum = compute(count(&input));
                std::thread::sleep(std::time::Duration::from_secs(3));
                Ok(json!({"sum": sum}))
            }
            // Well-behaved: `count` small writes, each awaiting its commit.
            "small_writes" => {
                let tag = input.get("tag").and_then(Value::as_str).unwrap_or("w");
                for i in 0..count(&input) {
                    kv::put("scratch", &format!("{tag}-{i}"), &json!({"i": i}))?;
                }
                Ok(json!({"written": count(&input)}))
            }
            other => Err(error("UnknownAttack", other.to_owned())),
        }
    }
}

// Unbounded on purpose: the host must stop it.
#[allow(unconditional_recursion)]
fn compute(n: u64) -> u64 {
    let mut x: u64 = 0;
    for i in 0..n {
        x = std::hint::black_box(x.wrapping_add(i));
    }
    x
}

fn count(input: &Value) -> u64 {
    input.get("count").and_then(Value::as_u64).unwrap_or(1000)
}

fn recurse(n: u64) -> u64 {
    // Only wasm locals, so the recursion exhausts the engine's call stack
    // (a trap) rather than Rust's shadow stack in linear memory.
    recurse(std::hint::black_box(n).wrapping_add(1)).wrapping_mul(3)
}

export_plugin!(Hostile);
