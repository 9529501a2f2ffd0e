//! wrk, the load generator of the scenarios: one run per load with a Lua script (common.lua
//! first, which prints a `BENCH_RESULT` line), its figures, and the server's memory meanwhile.

use std::fs;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use xshell::cmd;

use super::{Bench, profile};
use crate::process::{Background, ChildOutput};
use crate::say;

const WARMUP_SECS: u64 = 3;

const COMMON_LUA: &str = include_str!("common.lua");

/// One scenario's load.
#[derive(Debug, Clone)]
pub(super) struct Load {
    pub(super) name: &'static str,
    /// The scenario's script (common.lua is prepended).
    pub(super) script: &'static str,
    pub(super) path: &'static str,
    pub(super) connections: usize,
    pub(super) threads: usize,
    pub(super) timeout_secs: u64,
    pub(super) env: Vec<(&'static str, String)>,
}

/// What wrk measured (from the `BENCH_RESULT` line of common.lua).
#[derive(Debug, Clone, Default)]
pub(super) struct Measured {
    pub(super) requests: u64,
    pub(super) seconds: f64,
    pub(super) p50_ms: f64,
    pub(super) p95_ms: f64,
    pub(super) p99_ms: f64,
    pub(super) max_ms: f64,
    pub(super) socket_errors: u64,
    pub(super) non_2xx: u64,
    /// Status classes, when the script counted them.
    pub(super) c2xx: u64,
    pub(super) c422: u64,
    pub(super) c4xx: u64,
    pub(super) c5xx: u64,
}

impl Measured {
    pub(super) fn rate(&self) -> f64 {
        if self.seconds > 0.0 {
            self.requests as f64 / self.seconds
        } else {
            0.0
        }
    }
}

/// One line of the final table.
#[derive(Debug)]
pub(super) struct Row {
    pub(super) name: String,
    pub(super) connections: usize,
    pub(super) measured: Measured,
    /// Peak VmRSS of the server while the scenario ran, in KiB.
    pub(super) peak_rss_kib: u64,
    pub(super) note: String,
}

/// Runs `load` for `seconds` (after a warm-up of [`WARMUP_SECS`] when `warm_up`); the row
/// carries `note`.
pub(super) fn measure(
    bench: &Bench<'_>,
    load: &Load,
    seconds: u64,
    warm_up: bool,
    note: &str,
) -> anyhow::Result<Row> {
    if warm_up {
        bench.step(load.name, &format!("warming up {WARMUP_SECS} s"));
        say!("warming up: {} for {WARMUP_SECS} s", load.name);
        spawn_wrk(bench, load, WARMUP_SECS, false)?.wait_with_output()?;
    } else {
        bench.step(load.name, "");
    }
    let mut rows = measure_together(bench, &[load], seconds)?;
    let mut row = rows.pop().ok_or_else(|| anyhow!("no measurement"))?;
    row.note = note.to_owned();
    Ok(row)
}

/// Runs the loads at the same time for `seconds`, sampling the server's RSS meanwhile (the
/// caller has started the step).
pub(super) fn measure_together(
    bench: &Bench<'_>,
    loads: &[&Load],
    seconds: u64,
) -> anyhow::Result<Vec<Row>> {
    bench.ctx.check_interrupted()?;
    bench.phase(&format!("measuring {seconds} s"));
    let first = loads.first().ok_or_else(|| anyhow!("no load to measure"))?;
    let children = loads
        .iter()
        .map(|load| spawn_wrk(bench, load, seconds, true))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let perf = profile::Recording::start(bench, &slug(first.name), seconds)?;
    let (outputs, peak) = wait_for_all(bench, children, seconds)?;
    if let Some(perf) = perf {
        perf.finish(bench, first.name)?;
    }
    // `outputs` is in finishing order; match them back by the scenario name wrk printed.
    loads
        .iter()
        .map(|load| row_of(load, &outputs, peak))
        .collect()
}

/// Waits for every wrk to finish (at most 30 s after `seconds`); their outputs in finishing
/// order, and the server's peak RSS meanwhile.
fn wait_for_all(
    bench: &Bench<'_>,
    children: Vec<Background>,
    seconds: u64,
) -> anyhow::Result<(Vec<std::process::Output>, u64)> {
    let pid = bench.server.pid();
    let mut peak = 0;
    let deadline = Instant::now() + Duration::from_secs(seconds + 30);
    let mut outputs = Vec::new();
    let mut pending: Vec<Option<Background>> = children.into_iter().map(Some).collect();
    while outputs.len() < pending.len() {
        if let Some((rss, _)) = memory_kib(pid) {
            peak = peak.max(rss);
        }
        for slot in pending.iter_mut() {
            let done = match slot {
                Some(child) => child.exited()?.is_some(),
                None => false,
            };
            if done && let Some(child) = slot.take() {
                outputs.push(child.wait_with_output()?);
            }
        }
        if Instant::now() > deadline {
            bail!("wrk did not finish {} s after its duration", 30);
        }
        thread::sleep(Duration::from_millis(100));
    }
    Ok((outputs, peak))
}

/// The row of `load`, from the output of wrk that names it.
fn row_of(load: &Load, outputs: &[std::process::Output], peak: u64) -> anyhow::Result<Row> {
    let tag = format!("BENCH_SCENARIO {}", load.name);
    let output = outputs
        .iter()
        .find(|output| String::from_utf8_lossy(&output.stdout).contains(&tag))
        .ok_or_else(|| anyhow!("no output of wrk for {}", load.name))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let measured = parse_result(&stdout).with_context(|| {
        format!(
            "wrk for {} ({}): {}{}",
            load.name,
            output.status,
            stdout,
            String::from_utf8_lossy(&output.stderr)
        )
    })?;
    say!(
        "{}: {:.0} req/s, p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, {} socket errors, {} non-2xx",
        load.name,
        measured.rate(),
        measured.p50_ms,
        measured.p95_ms,
        measured.p99_ms,
        measured.socket_errors,
        measured.non_2xx
    );
    Ok(Row {
        name: load.name.to_owned(),
        connections: load.connections,
        measured,
        peak_rss_kib: peak,
        note: String::new(),
    })
}

/// Starts wrk with `load` for `seconds`, its output captured; echoed (with the scenario's
/// name) when `echo`.
fn spawn_wrk(
    bench: &Bench<'_>,
    load: &Load,
    seconds: u64,
    echo: bool,
) -> anyhow::Result<Background> {
    let ctx = bench.ctx;
    let sh = &ctx.sh;
    let script = bench.work.join(format!("{}.lua", slug(load.name)));
    let text = format!(
        "{COMMON_LUA}\n{}\nio.write(\"BENCH_SCENARIO {}\\n\")\n",
        load.script, load.name
    );
    fs::write(&script, text).with_context(|| format!("writing {}", script.display()))?;
    let url = format!("http://127.0.0.1:{}{}", bench.server.port(), load.path);
    let threads = format!("-t{}", load.threads);
    let connections = format!("-c{}", load.connections);
    let duration = format!("-d{seconds}s");
    let timeout = format!("--timeout={}s", load.timeout_secs);
    let command = cmd!(
        sh,
        "wrk {threads} {connections} {duration} {timeout} -s {script} {url}"
    )
    .envs(load.env.iter().map(|(k, v)| (*k, v.as_str())));
    if echo {
        crate::progress::eprint_line(format_args!(
            "$ wrk {threads} {connections} {duration} {timeout} -s {} {url}   # {}",
            ctx.show(&script),
            load.name
        ));
    }
    ctx.spawn(command, ChildOutput::Captured, false)
}

pub(super) fn slug(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

fn parse_result(stdout: &str) -> anyhow::Result<Measured> {
    let line = stdout
        .lines()
        .find_map(|line| line.strip_prefix("BENCH_RESULT "))
        .ok_or_else(|| anyhow!("no BENCH_RESULT line"))?;
    let json: serde_json::Value = serde_json::from_str(line)?;
    let n = |key: &str| json[key].as_u64().unwrap_or(0);
    let ms = |key: &str| n(key) as f64 / 1000.0;
    Ok(Measured {
        requests: n("requests"),
        seconds: n("duration_us") as f64 / 1e6,
        p50_ms: ms("p50_us"),
        p95_ms: ms("p95_us"),
        p99_ms: ms("p99_us"),
        max_ms: ms("max_us"),
        socket_errors: n("connect") + n("read") + n("write") + n("timeout"),
        non_2xx: n("status"),
        c2xx: n("c2xx"),
        c422: n("c422"),
        c4xx: n("c4xx"),
        c5xx: n("c5xx"),
    })
}

/// (VmRSS, VmHWM) of `pid` in KiB.
pub(super) fn memory_kib(pid: u32) -> Option<(u64, u64)> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_result_line_of_common_lua_is_parsed() {
        let out = "Running 1s test\nBENCH_RESULT {\"requests\":2000,\"duration_us\":2000000,\
                   \"p50_us\":500,\"p95_us\":900,\"p99_us\":1500,\"max_us\":9000,\"connect\":1,\
                   \"read\":2,\"write\":0,\"timeout\":3,\"status\":4,\"c2xx\":0,\"c422\":0,\
                   \"c4xx\":0,\"c5xx\":4}\n";

        let measured = parse_result(out).unwrap();

        assert_eq!(measured.rate(), 1000.0);
        assert_eq!(measured.p99_ms, 1.5);
        assert_eq!(measured.socket_errors, 6);
        assert_eq!(measured.non_2xx, 4);
        assert_eq!(measured.c5xx, 4);
    }

    #[test]
    fn memory_of_this_process_is_read() {
        let (rss, hwm) = memory_kib(std::process::id()).unwrap();
        assert!(rss > 0 && hwm >= rss);
    }
}
