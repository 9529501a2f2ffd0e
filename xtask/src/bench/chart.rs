//! The run's chart: one row per scenario, its throughput on the left and its p50 and p99
//! latency on the right, both on logarithmic axes (from a few logins a second to 100,000
//! pings), as an SVG file in target/bench/ and, with `--chart PATH`, at PATH too.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::wrk::Row;
use crate::progress::thousands;
use crate::{Ctx, say};

/// Where every run leaves its chart, under the target dir.
const CHART_FILE: &str = "bench/bench.svg";

const FONT: &str = "sans-serif";
const WIDTH: u32 = 1500;
/// The column of scenario names, left of the two panels.
const NAMES_WIDTH: u32 = 470;
const ROW_HEIGHT: u32 = 34;
/// Room below the last row, in rows, so that the legend covers no bar.
const LEGEND_ROOM: f64 = 0.9;
/// The title, the panels' captions, their axes and margins.
const FRAME_HEIGHT: u32 = 180;

const THROUGHPUT: RGBColor = RGBColor(70, 130, 180);
const P50: RGBColor = RGBColor(110, 170, 110);
const P99: RGBColor = RGBColor(214, 96, 77);

/// Writes the chart of `rows` to target/bench/bench.svg and, when given, to `extra` (relative
/// to the workspace root unless absolute).
pub(super) fn write(
    ctx: &Ctx,
    rows: &[Row],
    title: &str,
    extra: Option<&Path>,
) -> anyhow::Result<()> {
    let svg = svg(rows, title)?;
    let mut paths = vec![ctx.target_dir.join(CHART_FILE)];
    paths.extend(extra.map(|path| ctx.root.join(path)));
    for path in paths {
        write_file(&path, &svg)?;
        say!("chart of the run: {}", ctx.show(&path));
    }
    Ok(())
}

fn write_file(path: &PathBuf, svg: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    fs::write(path, svg).with_context(|| format!("writing {}", path.display()))
}

/// The chart of `rows` under `title`, as an SVG document.
pub(super) fn svg(rows: &[Row], title: &str) -> anyhow::Result<String> {
    let mut svg = String::new();
    let height = FRAME_HEIGHT + ROW_HEIGHT * u32::try_from(rows.len()).unwrap_or(u32::MAX / 2);
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        draw(&root, rows, title).map_err(|error| anyhow!("drawing the chart: {error}"))?;
        root.present()
            .map_err(|error| anyhow!("writing the chart: {error}"))?;
    }
    Ok(svg)
}

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;
/// What drawing on the SVG backend fails with.
type DrawError = DrawingAreaErrorKind<std::io::Error>;
type DrawResult = Result<(), DrawError>;

/// The title, the two panels, then the scenario names level with their bars.
fn draw(root: &Area<'_>, rows: &[Row], title: &str) -> DrawResult {
    root.fill(&WHITE)?;
    let body = root.titled(title, (FONT, 18))?;
    let (_, panels) = body.split_horizontally(NAMES_WIDTH);
    let (left, right) = panels.split_horizontally((WIDTH - NAMES_WIDTH) / 2);
    let rates: Vec<(f64, u64)> = rows
        .iter()
        .map(|row| {
            let m = &row.measured;
            (m.rate(), m.socket_errors + m.non_2xx)
        })
        .collect();
    let name_ys = throughput_panel(&left, &rates)?;
    latency_panel(&right, rows)?;
    let style = TextStyle::from((FONT, 13).into_font()).pos(Pos::new(HPos::Right, VPos::Center));
    let x = i32::try_from(NAMES_WIDTH).unwrap_or(0) - 6;
    for (row, y) in rows.iter().zip(name_ys) {
        root.draw(&Text::new(row.name.clone(), (x, y), style.clone()))?;
    }
    Ok(())
}

/// Row `i` of `n` (the first on top) is centred on this value of the vertical axis.
fn row_y(i: usize, n: usize) -> f64 {
    (n - i) as f64 - 0.5
}

/// A logarithmic axis from the power of ten at or below the smallest positive value to the one
/// at or above the largest.
fn log_bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (low, high) = values
        .filter(|v| *v > 0.0 && v.is_finite())
        .fold((f64::INFINITY, 0.0_f64), |(low, high), v| {
            (low.min(v), high.max(v))
        });
    if high <= 0.0 {
        return (1.0, 10.0);
    }
    let low = 10f64.powf(low.log10().floor());
    let high = 10f64.powf(high.log10().ceil()).max(low * 10.0);
    (low, high)
}

/// An axis value: 0.1, 5, 100, 20k, 1M.
fn axis_label(value: f64) -> String {
    if value >= 1_000_000.0 {
        format!("{}M", trim(value / 1_000_000.0))
    } else if value >= 1000.0 {
        format!("{}k", trim(value / 1000.0))
    } else {
        trim(value)
    }
}

fn trim(value: f64) -> String {
    let text = format!("{value:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// A panel's chart: a log x axis from `low` to `high` with its unit under it, and one row per
/// scenario (`n`) below the legend's room.
type Panel<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<LogCoord<f64>, RangedCoordf64>>;

/// The captioned chart both panels draw on, its grid already drawn.
fn log_panel<'a, 'b>(
    area: &'a Area<'b>,
    caption: &str,
    unit: &str,
    (low, high): (f64, f64),
    n: usize,
) -> Result<Panel<'a, 'b>, DrawError> {
    let mut chart = ChartBuilder::on(area)
        .caption(caption, (FONT, 15))
        .margin(8)
        .x_label_area_size(40)
        .build_cartesian_2d((low..high).log_scale(), -LEGEND_ROOM..n as f64)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_label_formatter(&|v| axis_label(*v))
        .x_desc(unit)
        .draw()?;
    Ok(chart)
}

/// The throughput bars, each labelled with its rate and its errors if any; returns the pixel
/// row of each scenario, for its name.
fn throughput_panel(area: &Area<'_>, rates: &[(f64, u64)]) -> Result<Vec<i32>, DrawError> {
    let n = rates.len();
    let (low, high) = log_bounds(rates.iter().map(|(rate, _)| *rate));
    let mut chart = log_panel(
        area,
        "throughput, requests/s (log scale)",
        "req/s",
        (low, high),
        n,
    )?;
    let value_style =
        TextStyle::from((FONT, 11).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    for (i, (rate, errors)) in rates.iter().enumerate() {
        let y = row_y(i, n);
        let end = rate.max(low);
        chart.draw_series([Rectangle::new(
            [(low, y - 0.3), (end, y + 0.3)],
            THROUGHPUT.filled(),
        )])?;
        chart.draw_series([Text::new(
            format!(" {}", rate_label(*rate, *errors)),
            (end, y),
            value_style.clone(),
        )])?;
    }
    Ok((0..n)
        .map(|i| chart.backend_coord(&(low, row_y(i, n))).1)
        .collect())
}

/// A bar's label: whole requests a second with thousands separated (one decimal below 100,
/// for logins), then the requests that failed (socket errors and non-2xx answers), if any.
fn rate_label(rate: f64, errors: u64) -> String {
    let rate = if rate >= 100.0 {
        thousands(rate.round() as u64)
    } else {
        format!("{rate:.1}")
    };
    match errors {
        0 => rate,
        errors => format!("{rate} ({} failed)", thousands(errors)),
    }
}

/// The p50 (upper) and p99 (lower) bars of each scenario, in milliseconds.
fn latency_panel(area: &Area<'_>, rows: &[Row]) -> DrawResult {
    let n = rows.len();
    let (low, high) = log_bounds(
        rows.iter()
            .flat_map(|row| [row.measured.p50_ms, row.measured.p99_ms]),
    );
    let mut chart = log_panel(
        area,
        "latency, ms (log scale): p50 and p99",
        "ms",
        (low, high),
        n,
    )?;
    let value_style =
        TextStyle::from((FONT, 10).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    for (label, color, offset, value) in [
        (
            "p50",
            P50,
            0.17,
            (|row: &Row| row.measured.p50_ms) as fn(&Row) -> f64,
        ),
        ("p99", P99, -0.17, |row: &Row| row.measured.p99_ms),
    ] {
        let bars = rows.iter().enumerate().map(|(i, row)| {
            let y = row_y(i, n) + offset;
            Rectangle::new(
                [(low, y - 0.15), (value(row).max(low), y + 0.15)],
                color.filled(),
            )
        });
        chart
            .draw_series(bars)?
            .label(label)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
        let values = rows.iter().enumerate().map(|(i, row)| {
            Text::new(
                format!(" {}", trim(value(row))),
                (value(row).max(low), row_y(i, n) + offset),
                value_style.clone(),
            )
        });
        chart.draw_series(values)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::bench::wrk::Measured;

    fn row(name: &str, requests: u64, p50_ms: f64, p99_ms: f64) -> Row {
        Row {
            name: name.to_owned(),
            connections: 64,
            measured: Measured {
                requests,
                seconds: 10.0,
                p50_ms,
                p99_ms,
                ..Measured::default()
            },
            peak_rss_kib: 20_000,
            note: String::new(),
        }
    }

    #[test]
    fn the_chart_is_an_svg_document_naming_every_scenario() {
        let mut rows = [
            row("GET /ping", 1_034_460, 0.57, 4.33),
            row("POST /api/auth/login", 62, 960.0, 1095.0),
            row(
                "user flow, steps 2-3: list own horses + train <saturated> & co",
                18_420,
                201.8,
                411.4,
            ),
            row("a scenario that failed", 0, 0.0, 0.0),
        ];
        rows[2].measured.non_2xx = 490;
        rows[2].measured.socket_errors = 8;

        let svg = svg(&rows, "cargo xtask bench, test").unwrap();

        let document = roxmltree::Document::parse(&svg).expect("well-formed XML");
        assert_eq!(document.root_element().tag_name().name(), "svg");
        let texts: Vec<&str> = document
            .descendants()
            .filter(|node| node.has_tag_name("text"))
            .filter_map(|node| node.text())
            .map(str::trim)
            .collect();
        for row in &rows {
            assert!(
                texts.contains(&row.name.as_str()),
                "{} not in {texts:?}",
                row.name
            );
        }
        assert!(texts.contains(&"cargo xtask bench, test"));
        assert!(texts.contains(&"103,446"), "{texts:?}");
        assert!(texts.contains(&"1,842 (498 failed)"), "{texts:?}");
        let bars = document
            .descendants()
            .filter(|node| node.has_tag_name("rect"))
            .count();
        assert!(bars >= 3 * rows.len(), "{bars} rects");
    }

    #[test]
    fn log_axes_span_whole_powers_of_ten() {
        assert_eq!(log_bounds([6.2, 103_446.0].into_iter()), (1.0, 1_000_000.0));
        assert_eq!(
            log_bounds([0.57, 1_095.0, 0.0].into_iter()),
            (0.1, 10_000.0)
        );
        assert_eq!(log_bounds([0.0].into_iter()), (1.0, 10.0));
    }

    #[test]
    fn axis_labels_are_short() {
        assert_eq!(axis_label(0.1), "0.1");
        assert_eq!(axis_label(100.0), "100");
        assert_eq!(axis_label(20_000.0), "20k");
        assert_eq!(axis_label(1_000_000.0), "1M");
    }
}
