//! `hooks-spool`: drive an engine from the shell — enqueue, deliver, inspect a spool.
//!
//! ```text
//! hooks-spool configure <settings> <snapshot>      store an endpoint snapshot; prints the
//!                                                  answer (applied, rejected endpoints)
//! hooks-spool emit <settings> <event> [count] [payload]
//!                                                  accept events (no waiting for delivery)
//! hooks-spool run <settings> [--until-idle] [--timeout-ms N] [--exit]
//!                                                  be a delivery candidate until idle / killed;
//!                                                  --exit: end with a plain process exit
//! hooks-spool stats <settings>                     queue figures as JSON
//! hooks-spool take <settings> [max] [max_bytes] [--peek]
//!                                                  journal entries as JSON, then acknowledged
//!                                                  (--peek: left for the next taker)
//! ```
//! `<settings>` and `<snapshot>` are JSON text or a path to a JSON file.

use std::process::ExitCode;
use std::time::Duration;

use multisite_webhooks::{engine, ffi};

fn arg_json(s: &str) -> Result<Vec<u8>, String> {
    if s.trim_start().starts_with('{') {
        Ok(s.as_bytes().to_vec())
    } else {
        std::fs::read(s).map_err(|e| format!("{s}: {e}"))
    }
}

fn run(args: &[String]) -> Result<(), String> {
    let usage = "usage: hooks-spool configure|emit|run|stats|take <settings> …";
    let (cmd, settings) = match args {
        [cmd, settings, ..] => (cmd.as_str(), arg_json(settings)?),
        _ => return Err(usage.into()),
    };
    engine::init_global(&settings).map_err(|e| e.to_string())?;
    // A normal exit hands delivery over gracefully, as in a PHP process.
    ffi::install_exit_hook();
    let engine = engine::global().map_err(|e| e.to_string())?;
    let rest = &args[2..];
    match cmd {
        "configure" => {
            let snap = arg_json(rest.first().ok_or(usage)?)?;
            let report = engine.configure(&snap).map_err(|e| e.to_string())?;
            println!("{}", report.to_json());
        }
        "emit" => {
            let event = rest.first().ok_or(usage)?;
            let count: usize = rest.get(1).map_or(Ok(1), |c| c.parse()).map_err(|_| "count: not a number")?;
            let default_payload = r#"{"n":0}"#.to_string();
            let payload = rest.get(2).unwrap_or(&default_payload);
            for i in 0..count {
                let p = payload.replacen("\"n\":0", &format!("\"n\":{i}"), 1);
                engine.emit(event, p.as_bytes()).map_err(|e| e.to_string())?;
            }
            println!("{count}");
        }
        "run" => {
            let until_idle = rest.iter().any(|a| a == "--until-idle");
            let timeout = rest
                .iter()
                .position(|a| a == "--timeout-ms")
                .and_then(|i| rest.get(i + 1))
                .and_then(|v| v.parse().ok())
                .unwrap_or(u64::MAX / 4);
            if until_idle {
                engine.flush(Duration::from_millis(timeout)).map_err(|e| e.to_string())?;
            } else {
                std::thread::sleep(Duration::from_millis(timeout));
            }
            if rest.iter().any(|a| a == "--exit") {
                // Like a PHP-FPM worker reaching pm.max_requests: no shutdown call, just exit.
                std::process::exit(0);
            }
        }
        "stats" => println!("{}", engine.stats()),
        "take" => {
            let max = rest.first().and_then(|m| m.parse().ok()).unwrap_or(0);
            let max_bytes = rest.get(1).and_then(|m| m.parse().ok()).unwrap_or(0);
            let answer = engine.take_results(max, max_bytes).map_err(|e| e.to_string())?;
            println!("{answer}");
            if !rest.iter().any(|a| a == "--peek") {
                let v: serde_json::Value = serde_json::from_str(&answer).map_err(|e| e.to_string())?;
                engine.ack_results(v["ack"].as_str().unwrap_or_default()).map_err(|e| e.to_string())?;
            }
        }
        _ => return Err(usage.into()),
    }
    let _ = engine::shutdown_global(Duration::ZERO);
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hooks-spool: {e}");
            ExitCode::FAILURE
        }
    }
}
