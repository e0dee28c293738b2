//! The report's plot: server CPU per forwarded packet against the number of subscribers.

use crate::Results;
use anyhow::Context;
use plotters::prelude::*;
use std::path::Path;

const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

/// A server's line: its name, colour and (N, µs per packet) points.
type Series = (&'static str, RGBColor, Vec<(f64, f64)>);

pub fn cpu_per_packet(path: &Path, results: &Results) -> anyhow::Result<()> {
    let font = std::fs::read(FONT)
        .with_context(|| format!("reading the font {FONT} (Debian: fonts-dejavu-core)"))?;
    plotters::style::register_font(
        "sans-serif",
        FontStyle::Normal,
        Box::leak(font.into_boxed_slice()),
    )
    .map_err(|_| anyhow::anyhow!("the font {FONT} is unreadable"))?;
    let series: Vec<Series> = [
        ("Spotter", RGBColor(0, 114, 178)),
        ("Janus", RGBColor(213, 94, 0)),
    ]
    .into_iter()
    .map(|(name, colour)| {
        let points: Vec<(f64, f64)> = results
            .fan_out
            .iter()
            .filter(|r| r.server == name && r.packets > 0)
            .map(|r| (r.subscribers_per_room as f64, r.cpu_us_per_packet))
            .collect();
        (name, colour, points)
    })
    .filter(|(_, _, points)| !points.is_empty())
    .collect();
    anyhow::ensure!(!series.is_empty(), "no figures to plot");
    let max_n = series
        .iter()
        .flat_map(|s| &s.2)
        .map(|p| p.0)
        .fold(1.0, f64::max);
    let max_cpu = series
        .iter()
        .flat_map(|s| &s.2)
        .map(|p| p.1)
        .fold(0.0, f64::max)
        * 1.15;

    let root = BitMapBackend::new(path, (900, 540)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Server CPU per forwarded packet (1 publisher → N subscribers)",
            ("sans-serif", 22),
        )
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(0.0..max_n * 1.05, 0.0..max_cpu.max(1.0))?;
    chart
        .configure_mesh()
        .x_desc("subscribers (N)")
        .y_desc("CPU µs per packet")
        .label_style(("sans-serif", 15))
        .draw()?;
    for (name, colour, points) in series {
        chart
            .draw_series(LineSeries::new(points.clone(), colour.stroke_width(3)))?
            .label(name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], colour.stroke_width(3))
            });
        chart.draw_series(
            points
                .into_iter()
                .map(|p| Circle::new(p, 5, colour.filled())),
        )?;
    }
    chart
        .configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE.mix(0.9))
        .label_font(("sans-serif", 16))
        .draw()?;
    root.present()?;
    Ok(())
}
