//! Progress of xtask's long steps (seeding, bench scenarios, drills), on stderr.
//!
//! On a terminal a [`Progress`] is an indicatif bar, redrawn in place; the lines that xtask
//! prints meanwhile ([`eprint_line`], which `say!` and the command echoes go through) appear
//! above it. Elsewhere (CI logs, a redirected stderr) nothing is redrawn: a plain line is
//! printed when a step or phase begins, then at most every [`PLAIN_EVERY`] while it lasts, and
//! once at the end.
//!
//! Two shapes: a counter (`rows inserted / total`, elapsed since the start) and steps (`3/11`
//! with the current step's phase and the time spent in that phase). One progress is shown at a
//! time.

use std::fmt;
use std::io::IsTerminal as _;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Without a terminal, a progress line at most this often while nothing changes.
pub(crate) const PLAIN_EVERY: Duration = Duration::from_secs(5);

/// How often a bar on a terminal is redrawn when nothing else moves it (its elapsed time).
const TICK: Duration = Duration::from_millis(250);

/// The bar on the terminal, if one is shown: lines printed meanwhile go above it.
static ON_SCREEN: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Prints `line` on stderr, above the progress bar if one is drawn.
pub(crate) fn eprint_line(line: fmt::Arguments<'_>) {
    let bar = lock(&ON_SCREEN).clone();
    match bar {
        Some(bar) => bar.suspend(|| eprintln!("{line}")),
        None => eprintln!("{line}"),
    }
}

/// What a progress counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// A quantity of `unit`s out of a total; the elapsed time is the whole run's.
    Counter { unit: &'static str },
    /// Step n of the total, with a phase; the elapsed time is the phase's.
    Steps,
}

/// What a plain progress line says.
#[derive(Debug, Clone)]
struct State {
    label: String,
    shape: Shape,
    position: u64,
    total: u64,
    /// The current step's name (steps).
    step: String,
    /// The current step's phase (steps), or what is being done (counter).
    message: String,
    started: Instant,
    phase_started: Instant,
}

impl State {
    fn line(&self) -> String {
        let elapsed = match self.shape {
            Shape::Counter { .. } => self.started.elapsed(),
            Shape::Steps => self.phase_started.elapsed(),
        };
        plain_line(self, elapsed)
    }
}

/// The plain line of `state` after `elapsed`, e.g. `seeding: 1,210,000 / 2,450,000 rows
/// (49 %), inserting into show_entries, 23 s` or `bench 3/11: GET /ping: measuring 10 s, 4 s`.
/// The time is left out while it is under a second (a line that starts a phase).
fn plain_line(state: &State, elapsed: Duration) -> String {
    let mut line = match state.shape {
        Shape::Counter { unit } => format!(
            "{}: {} / {} {unit} ({} %)",
            state.label,
            thousands(state.position),
            thousands(state.total),
            100 * state.position / state.total.max(1)
        ),
        Shape::Steps => format!(
            "{} {}/{}: {}",
            state.label, state.position, state.total, state.step
        ),
    };
    let separator = match state.shape {
        Shape::Counter { .. } => ", ",
        Shape::Steps => ": ",
    };
    if !state.message.is_empty() {
        line.push_str(separator);
        line.push_str(&state.message);
    }
    if elapsed >= Duration::from_secs(1) {
        line.push_str(&format!(", {} s", elapsed.as_secs()));
    }
    line
}

/// `n` with a comma every three digits.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// How the progress is shown.
#[derive(Debug)]
enum Display {
    /// Redrawn on the terminal.
    Bar(ProgressBar),
    /// Plain lines, with a thread that prints one while a phase lasts.
    Plain {
        ticker: Option<(Sender<()>, JoinHandle<()>)>,
        last_line: Arc<Mutex<Instant>>,
    },
}

/// The progress of one long step; see the module's documentation.
#[derive(Debug)]
pub(crate) struct Progress {
    state: Arc<Mutex<State>>,
    display: Display,
}

impl Progress {
    /// `label: position / total unit`, e.g. rows inserted by the seed.
    pub(crate) fn counter(label: &str, total: u64, unit: &'static str) -> Progress {
        Progress::new(label, total, Shape::Counter { unit })
    }

    /// `label n/total: step: phase`, e.g. the bench's scenarios.
    pub(crate) fn steps(label: &str, total: u64) -> Progress {
        Progress::new(label, total, Shape::Steps)
    }

    fn new(label: &str, total: u64, shape: Shape) -> Progress {
        let now = Instant::now();
        let state = Arc::new(Mutex::new(State {
            label: label.to_owned(),
            shape,
            position: 0,
            total,
            step: String::new(),
            message: String::new(),
            started: now,
            phase_started: now,
        }));
        let display = if std::io::stderr().is_terminal() {
            Display::Bar(bar(label, total, shape))
        } else {
            let last_line = Arc::new(Mutex::new(now));
            let ticker = ticker(Arc::clone(&state), Arc::clone(&last_line));
            Display::Plain {
                ticker: Some(ticker),
                last_line,
            }
        };
        Progress { state, display }
    }

    /// Adds `delta` to a counter's position; shown by the next redraw or plain line.
    pub(crate) fn advance(&self, delta: u64) {
        let position = {
            let mut state = lock(&self.state);
            state.position = state.position.saturating_add(delta);
            state.position
        };
        if let Display::Bar(bar) = &self.display {
            bar.set_position(position);
        }
    }

    /// Sets what a counter is doing now (shown beside the count, no line of its own).
    pub(crate) fn set_message(&self, message: &str) {
        lock(&self.state).message = message.to_owned();
        if let Display::Bar(bar) = &self.display {
            bar.set_message(message.to_owned());
        }
    }

    /// Starts the next step, named `name`, in its first phase `phase`.
    pub(crate) fn step(&self, name: &str, phase: &str) {
        {
            let mut state = lock(&self.state);
            state.position = state.position.saturating_add(1);
            state.step = name.to_owned();
            if let Display::Bar(bar) = &self.display {
                bar.set_position(state.position);
            }
        }
        self.phase(phase);
    }

    /// Starts another phase of the current step; its elapsed time starts again.
    pub(crate) fn phase(&self, phase: &str) {
        let (line, message) = {
            let mut state = lock(&self.state);
            state.message = phase.to_owned();
            state.phase_started = Instant::now();
            let message = if phase.is_empty() {
                state.step.clone()
            } else {
                format!("{}: {phase}", state.step)
            };
            (state.line(), message)
        };
        match &self.display {
            Display::Bar(bar) => {
                bar.set_message(message);
                bar.reset_elapsed();
            }
            // A step without a phase yet: its first phase follows at once.
            Display::Plain { .. } if phase.is_empty() => {}
            Display::Plain { last_line, .. } => {
                *lock(last_line) = Instant::now();
                crate::say!("{line}");
            }
        }
    }

    /// Removes the bar and prints the final state as one line: a counter's count, or how many
    /// steps ran; with the time since the start.
    pub(crate) fn finish(self) {
        let line = {
            let state = lock(&self.state);
            let elapsed = state.started.elapsed().as_secs_f64();
            match state.shape {
                Shape::Counter { .. } => {
                    let mut done = state.clone();
                    done.message = String::new();
                    format!("{} in {elapsed:.1} s", plain_line(&done, Duration::ZERO))
                }
                Shape::Steps => format!(
                    "{}: {} of {} done in {elapsed:.1} s",
                    state.label, state.position, state.total
                ),
            }
        };
        self.clear();
        crate::say!("{line}");
    }

    /// Stops the ticker or removes the bar, printing nothing.
    fn clear(&self) {
        if let Display::Bar(bar) = &self.display {
            bar.finish_and_clear();
            lock(&ON_SCREEN).take();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.clear();
        if let Display::Plain { ticker, .. } = &mut self.display
            && let Some((stop, thread)) = ticker.take()
        {
            drop(stop);
            let _ = thread.join();
        }
    }
}

/// The bar on the terminal, registered so that lines printed meanwhile go above it.
fn bar(label: &str, total: u64, shape: Shape) -> ProgressBar {
    let template = match shape {
        Shape::Counter { unit } => format!(
            "{{spinner}} {{prefix}}: [{{bar:30}}] {{human_pos}} / {{human_len}} {unit} \
             ({{percent}} %) {{wide_msg}} {{elapsed}}"
        ),
        Shape::Steps => "{spinner} {prefix} {pos}/{len}: {wide_msg} {elapsed}".to_owned(),
    };
    let style = ProgressStyle::with_template(&template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
        .with_style(style)
        .with_prefix(label.to_owned());
    bar.enable_steady_tick(TICK);
    *lock(&ON_SCREEN) = Some(bar.clone());
    bar
}

/// Without a terminal: a thread that prints the state when no line was printed for
/// [`PLAIN_EVERY`], until the sender is dropped.
fn ticker(
    state: Arc<Mutex<State>>,
    last_line: Arc<Mutex<Instant>>,
) -> (Sender<()>, JoinHandle<()>) {
    let (stop, stopped) = mpsc::channel::<()>();
    let thread = thread::spawn(move || {
        loop {
            let due = *lock(&last_line) + PLAIN_EVERY;
            let wait = due.saturating_duration_since(Instant::now());
            match stopped.recv_timeout(wait) {
                Err(RecvTimeoutError::Timeout) => {
                    let mut last = lock(&last_line);
                    if last.elapsed() >= PLAIN_EVERY {
                        *last = Instant::now();
                        crate::say!("{}", lock(&state).line());
                    }
                }
                Ok(()) | Err(RecvTimeoutError::Disconnected) => break,
            }
        }
    });
    (stop, thread)
}

/// Locks `mutex`; a panic elsewhere cannot leave a progress state inconsistent enough to matter.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(shape: Shape, position: u64, total: u64, message: &str) -> State {
        let now = Instant::now();
        State {
            label: "seeding".to_owned(),
            shape,
            position,
            total,
            step: String::new(),
            message: message.to_owned(),
            started: now,
            phase_started: now,
        }
    }

    #[test]
    fn a_counter_line_gives_the_count_the_total_and_the_share() {
        let state = state(
            Shape::Counter { unit: "rows" },
            1_210_000,
            2_450_000,
            "inserting into show_entries",
        );

        let line = plain_line(&state, Duration::from_millis(23_400));

        assert_eq!(
            line,
            "seeding: 1,210,000 / 2,450,000 rows (49 %), inserting into show_entries, 23 s"
        );
    }

    #[test]
    fn a_steps_line_gives_which_step_of_how_many_and_the_phase() {
        let mut state = state(Shape::Steps, 3, 11, "measuring 10 s");
        state.label = "bench".to_owned();
        state.step = "GET /ping".to_owned();

        let line = plain_line(&state, Duration::from_secs(4));

        assert_eq!(line, "bench 3/11: GET /ping: measuring 10 s, 4 s");
    }

    #[test]
    fn a_line_that_starts_a_phase_has_no_time() {
        let mut state = state(Shape::Steps, 1, 4, "stopping PostgreSQL");
        state.label = "drill".to_owned();
        state.step = "outage".to_owned();

        let line = plain_line(&state, Duration::from_millis(300));

        assert_eq!(line, "drill 1/4: outage: stopping PostgreSQL");
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(2_450_000), "2,450,000");
    }
}
