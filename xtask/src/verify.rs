//! `cargo xtask verify`: lint, tests, the staging smoke test and the image checks (README,
//! "Developer tasks").
//!
//! Steps run in order. Each one runs even when an earlier one failed, since they check
//! different things and a full report saves a round trip; only a signal stops the sequence.

use std::time::{Duration, Instant};

use anyhow::bail;

use crate::{Ctx, compat, image, lint, say, staging, test};

/// The steps, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Step {
    Lint,
    Test,
    Staging,
    Compat,
    Image,
}

impl Step {
    const ALL: [Step; 5] = [
        Step::Lint,
        Step::Test,
        Step::Staging,
        Step::Compat,
        Step::Image,
    ];

    fn name(self) -> &'static str {
        match self {
            Step::Lint => "lint",
            Step::Test => "test",
            Step::Staging => "staging smoke",
            Step::Compat => "compat",
            Step::Image => "images",
        }
    }

    fn what(self) -> &'static str {
        match self {
            Step::Lint => "rustfmt check, clippy -D warnings, layer check",
            Step::Test => "whole test suite on a fresh PostgreSQL cluster",
            Step::Staging => {
                "release build on port 3001, NODE_ENV=staging, HTTP probes, /api/docs in headless Chromium, SIGTERM exit"
            }
            Step::Compat => {
                "HEAD~1's binary (dev profile) through the staging probes on the schema migrated by this one"
            }
            Step::Image => {
                "server and backup images built and run: size, uid, read-only, HEALTHCHECK, \
                 /health, SIGTERM, backup and restore, SBOM"
            }
        }
    }

    fn run(self, ctx: &Ctx) -> anyhow::Result<()> {
        match self {
            Step::Lint => lint::run(ctx),
            Step::Test => test::run(ctx, &[]),
            Step::Staging => staging::run(ctx),
            Step::Compat => compat::run(ctx),
            Step::Image => image::run(ctx),
        }
    }
}

#[derive(Debug)]
enum Outcome {
    Pass,
    Fail(String),
    Skipped,
}

/// Runs every step (or those in `only`) except those in `skip`, then prints the summary.
pub(crate) fn run(ctx: &Ctx, only: &[Step], skip: &[Step]) -> anyhow::Result<()> {
    let started = Instant::now();
    let steps: Vec<Step> = Step::ALL
        .into_iter()
        .filter(|step| (only.is_empty() || only.contains(step)) && !skip.contains(step))
        .collect();
    let mut results: Vec<(&str, Outcome, Duration)> = Vec::new();
    for (index, step) in steps.iter().enumerate() {
        let name = step.name();
        if ctx.signals.received().is_some() {
            results.push((name, Outcome::Skipped, Duration::ZERO));
            continue;
        }
        say!("");
        say!(
            "==> verify step {}/{}: {name} ({})",
            index + 1,
            steps.len(),
            step.what()
        );
        let step_started = Instant::now();
        let outcome = match step.run(ctx) {
            Ok(()) => Outcome::Pass,
            Err(error) => {
                say!("step `{name}` FAILED: {error:#}");
                Outcome::Fail(first_line(&format!("{error:#}")))
            }
        };
        let elapsed = step_started.elapsed();
        say!("<== {name}: {} in {}", label(&outcome), seconds(elapsed));
        results.push((name, outcome, elapsed));
    }

    say!("");
    say!("verify summary:");
    say!(
        "  {:<4} {:<15} {:<7} {:>9}  {}",
        "#",
        "step",
        "result",
        "time",
        "why"
    );
    for (index, (name, outcome, elapsed)) in results.iter().enumerate() {
        let why = match outcome {
            Outcome::Fail(reason) => reason.as_str(),
            Outcome::Skipped => "not run: interrupted",
            Outcome::Pass => "",
        };
        say!(
            "  {:<4} {:<15} {:<7} {:>9}  {why}",
            index + 1,
            name,
            label(outcome),
            seconds(*elapsed)
        );
    }
    let failed: Vec<&str> = results
        .iter()
        .filter(|(_, outcome, _)| !matches!(outcome, Outcome::Pass))
        .map(|(name, _, _)| *name)
        .collect();
    if failed.is_empty() {
        say!(
            "verify: all {} steps PASSED in {}",
            results.len(),
            seconds(started.elapsed())
        );
        Ok(())
    } else {
        bail!(
            "verify FAILED ({} of {} steps not passed: {}) after {}",
            failed.len(),
            results.len(),
            failed.join(", "),
            seconds(started.elapsed())
        )
    }
}

fn label(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Pass => "PASS",
        Outcome::Fail(_) => "FAIL",
        Outcome::Skipped => "SKIPPED",
    }
}

fn seconds(duration: Duration) -> String {
    format!("{:.1} s", duration.as_secs_f64())
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().to_owned()
}
