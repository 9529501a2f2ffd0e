//! `--profile`: every CPU sampled with `perf record -e cpu-clock -a` while a scenario runs,
//! then where the time went (by process and shared object, the top symbols) and the statements
//! PostgreSQL spent its time on (pg_stat_statements).

use std::path::{Path, PathBuf};

use xshell::cmd;

use super::Bench;
use crate::Ctx;
use crate::process::{Background, ChildOutput};

/// A `perf record` running for one scenario.
#[derive(Debug)]
pub(super) struct Recording {
    perf: Background,
    data: PathBuf,
}

impl Recording {
    /// With `--profile`, starts sampling for `seconds` (less one, so it ends before the load)
    /// into `<work>/<slug>.perf.data`; `None` without it.
    pub(super) fn start(
        bench: &Bench<'_>,
        slug: &str,
        seconds: u64,
    ) -> anyhow::Result<Option<Recording>> {
        if !bench.options.profile {
            return Ok(None);
        }
        let sh = &bench.ctx.sh;
        let data = bench.work.join(format!("{slug}.perf.data"));
        let window = seconds.saturating_sub(1).max(1).to_string();
        let command = cmd!(
            sh,
            "perf record -e cpu-clock -F 499 -a -g -o {data} -- sleep {window}"
        );
        let perf = bench
            .ctx
            .spawn(command, ChildOutput::Discarded, false)
            .map_err(|error| error.context("starting perf record (is perf installed?)"))?;
        Ok(Some(Recording { perf, data }))
    }

    /// Waits for the sampling to end and prints the profile of scenario `name`.
    pub(super) fn finish(self, bench: &Bench<'_>, name: &str) -> anyhow::Result<()> {
        self.perf.wait_with_output()?;
        print_profile(bench.ctx, &self.data, name);
        if let Some(url) = &bench.profile_database {
            print_statements(bench.ctx, url);
        }
        Ok(())
    }
}

/// Where the CPU time went during a scenario: by process and object, then the top symbols.
#[expect(
    clippy::print_stdout,
    reason = "the profile is part of the task's output"
)]
fn print_profile(ctx: &Ctx, data: &Path, name: &str) {
    let sh = &ctx.sh;
    let report = |sort: &str, limit: &str| {
        let command = cmd!(
            sh,
            "perf report --stdio -g none --sort {sort} --percent-limit {limit} -i {data}"
        );
        stdout_of(ctx, command)
    };
    let lines = |text: String, max: usize| {
        text.lines()
            .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
            .take(max)
            .map(|line| format!("    {}", line.trim_end()))
            .collect::<Vec<_>>()
            .join("\n")
    };
    println!("profile of {name} (perf cpu-clock, all CPUs), by process and object:");
    println!("{}", lines(report("comm,dso", "2"), 14));
    println!("  top symbols:");
    println!("{}", lines(report("comm,sym", "1"), 20));
}

/// The statements PostgreSQL spent its time on since the last call (pg_stat_statements), then
/// a reset for the next scenario.
#[expect(
    clippy::print_stdout,
    reason = "the profile is part of the task's output"
)]
fn print_statements(ctx: &Ctx, url: &str) {
    let sh = &ctx.sh;
    let sql = "SELECT round(100 * total_exec_time / sum(total_exec_time) OVER ())::int || ' %  ' \
               || calls || ' calls  ' || round((total_exec_time / calls)::numeric, 3) \
               || ' ms each  ' || left(regexp_replace(query, '\\s+', ' ', 'g'), 110) \
               FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database \
               WHERE datname = current_database()) ORDER BY total_exec_time DESC LIMIT 10";
    let top = stdout_of(ctx, cmd!(sh, "psql -X -A -t -d {url} -c {sql}"));
    println!("  PostgreSQL execution time by statement (pg_stat_statements, planning excluded):");
    for line in top.lines().filter(|line| !line.trim().is_empty()) {
        println!("    {line}");
    }
    let reset = "SELECT pg_stat_statements_reset()";
    let _ = ctx.output_quiet(cmd!(sh, "psql -X -q -d {url} -c {reset}"));
}

/// What `command` printed on stdout; nothing when it could not run (the profile is a bonus).
fn stdout_of(ctx: &Ctx, command: xshell::Cmd<'_>) -> String {
    ctx.output_quiet(command)
        .map(|output| String::from_utf8_lossy(&output.stdout).into_owned())
        .unwrap_or_default()
}
