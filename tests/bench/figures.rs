//! One benchmark figure, next to the reference it is measured against and its target: printed,
//! and appended as one JSON line to the file `FIGURES_OUT` names (`./tests/dev.sh bench` gathers
//! them into one file per commit and the README's table). Shared by the bench binaries.

#![allow(dead_code)] // each bench binary uses the part it needs

use std::io::Write;

/// What a figure should be.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    AtLeast(f64),
    AtMost(f64),
    /// Shown for comparison only.
    None,
}

pub struct Figure<'a> {
    /// Which benchmark and which part of it, e.g. "loop: bulk send".
    pub group: &'a str,
    pub name: &'a str,
    pub value: f64,
    pub unit: &'a str,
    /// What the value is measured against, said in words (with its own value).
    pub reference: String,
    pub target: Target,
}

pub fn report(figure: &Figure<'_>) {
    let (target, met) = match figure.target {
        Target::AtLeast(t) => (format!("≥ {t}"), Some(figure.value >= t)),
        Target::AtMost(t) => (format!("≤ {t}"), Some(figure.value <= t)),
        Target::None => (String::new(), None),
    };
    println!(
        "  {:<58} {:>10.2} {:<4} {:<10} {}{}",
        figure.name,
        figure.value,
        figure.unit,
        target,
        figure.reference,
        if met == Some(false) {
            "   ** MISSED **"
        } else {
            ""
        }
    );
    let Ok(path) = std::env::var("FIGURES_OUT") else {
        return;
    };
    let line = serde_json::json!({
        "group": figure.group,
        "name": figure.name,
        "value": figure.value,
        "unit": figure.unit,
        "reference": figure.reference,
        "target": target,
        "met": met,
    });
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("cannot write figures to {path}: {e}"));
    writeln!(file, "{line}").unwrap_or_else(|e| panic!("cannot write figures to {path}: {e}"));
}

/// The p-th quantile (0–1) of sorted values.
pub fn quantile(sorted: &[f64], p: f64) -> f64 {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // an index into `sorted`
    let rank = ((sorted.len().saturating_sub(1)) as f64 * p).round() as usize;
    sorted
        .get(rank.min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or(f64::NAN)
}
