//! `cargo xtask fuzz`: property-based requests generated from the server's own OpenAPI
//! document by schemathesis, against the release server in its production configuration on a
//! throwaway database, with a registered player's bearer token. The run fails on any 5xx and on
//! any response the document does not describe (status code, content type, headers, schema).
//! Bounded: at most `--max-examples` cases per operation, and a wall-clock limit.

use anyhow::{Context as _, bail};
use xshell::cmd;

use crate::drill::{Bed, register, stop_server};
use crate::process::on_path;
use crate::{Ctx, say};

const CLUSTER_DIR: &str = "equoria-fuzz-pg";
const DATABASE: &str = "equoria_fuzz";
/// The checks that say "the server broke or contradicted its document"; schemathesis' other
/// checks judge API design choices (e.g. which invalid inputs must be refused) instead.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
                      response_headers_conformance,response_schema_conformance";

/// `cargo xtask fuzz` options.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct Options {
    /// Cases generated per API operation.
    #[arg(long, default_value_t = 50)]
    pub max_examples: u32,
    /// Wall-clock limit of the schemathesis run, in seconds.
    #[arg(long, default_value_t = 300)]
    pub time_limit: u64,
}

pub(crate) fn run(ctx: &Ctx, options: &Options) -> anyhow::Result<()> {
    let st = ensure_schemathesis(ctx)?;
    let bed = Bed::new(ctx, CLUSTER_DIR, DATABASE)?;
    let mut server = bed.start(ctx, "fuzz", &[])?;
    let port = server.port();
    let (token, _) = register(port, "fuzz_player")?;
    let base = format!("http://127.0.0.1:{port}");
    let schema = format!("{base}/api/openapi.json");
    let auth = format!("Authorization: Bearer {token}");
    let examples = options.max_examples.to_string();
    let limit = options.time_limit.to_string();
    let report = ctx.target_dir.join("equoria-fuzz-report");
    let report_dir = report.display().to_string();
    say!(
        "schemathesis: up to {examples} cases per operation, {limit} s at most, checks {CHECKS}; \
         JUnit report in {}",
        ctx.show(&report)
    );
    let sh = &ctx.sh;
    // `timeout` bounds the wall clock whatever the case count; 124 means it fired.
    let status = ctx.status(cmd!(
        sh,
        "timeout --signal=INT --kill-after=10 {limit} {st} run {schema} --url {base} -H {auth}
            --checks {CHECKS} --max-examples {examples} --workers 2 --request-timeout 10
            --report junit --report-dir {report_dir} --no-color"
    ));
    let stopped = stop_server(&mut server);
    let status = status?;
    stopped?;
    match status.code() {
        Some(0) => {
            say!("fuzz: no 5xx and no response outside the document");
            Ok(())
        }
        Some(124) | Some(130) => bail!(
            "schemathesis did not finish within {limit} s: lower --max-examples or raise --time-limit"
        ),
        _ => bail!("schemathesis found failures ({status}): see its report above"),
    }
}

/// The schemathesis CLI (`st`), installed with pip when missing.
fn ensure_schemathesis(ctx: &Ctx) -> anyhow::Result<String> {
    if on_path("st") {
        return Ok("st".to_owned());
    }
    say!("schemathesis (OpenAPI property-based testing) is missing: installing it with pip");
    let sh = &ctx.sh;
    ctx.run(cmd!(sh, "python3 -m pip install --quiet schemathesis"))
        .context("installing schemathesis failed: `python3 -m pip install schemathesis`")?;
    // pip may put scripts where PATH does not look (pyenv shims need a rehash).
    let _ = ctx.status(cmd!(sh, "pyenv rehash"));
    if on_path("st") {
        return Ok("st".to_owned());
    }
    bail!("schemathesis installed but `st` is not on PATH")
}
