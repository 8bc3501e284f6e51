//! `report.html`: one self-contained file (inline CSS and SVG, no scripts,
//! nothing fetched) that an economist can mail: what each scenario changes,
//! the headline table, the charts, and how to reproduce it all.

use super::format::{
    all_zero, effect_text, finding_sentence, human_in, percent, signed_percent, significant_in,
};
use crate::analysis::changes::changes;
use crate::analysis::findings::{
    BI_ONLINE_GMV_2022_SD_IDR, BI_ONLINE_GMV_2022_WEEK_IDR, Caveats, Finding, caveats, is_covered,
};
use crate::analysis::segments::{BandRow, segment_of, share_lower};
use crate::analysis::summary::{
    Part, SummaryRow, WEEKS_AFTER, Window, headline_of, policy_events, title_in, unit_in,
};
use crate::analysis::{Arm, Comparison};
use crate::lang::{Lang, Words, fill};
use std::fmt::Write;

/// The ids of the report's sections, in order (the browser test looks for
/// them).
pub const SECTIONS: [&str; 5] = [
    "findings",
    "changes",
    "headline",
    "charts",
    "reproducibility",
];

/// The section that puts several policies side by side (only when there
/// are two or more).
pub const SIDE_BY_SIDE: &str = "side-by-side";

/// What the report says about how it was made.
#[derive(Debug, Clone, Default)]
pub struct ReportMeta {
    pub command: Vec<String>,
    pub pasar_version: String,
    pub generated_utc: String,
    pub seed: u64,
    pub replicate_seeds: Vec<u64>,
    /// How the number of replicates was decided, in a sentence.
    pub replicates_note: String,
    /// Median narrowing of the headline intervals by common random numbers.
    pub crn_narrowing: Option<f64>,
    /// The language the page is written in.
    pub lang: Lang,
}

/// A chart pair for one headline series.
#[derive(Debug, Clone)]
pub struct ChartPair {
    pub title: String,
    pub levels_svg: String,
    pub diff_svg: String,
    /// File stem of the PNG/SVG copies in `charts/`.
    pub file_stem: String,
    /// The question it answers (the part of the headline table).
    pub part: Option<Part>,
}

/// Escape text for HTML.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An SVG document as inline markup (without an XML declaration).
fn inline_svg(svg: &str) -> &str {
    match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => svg,
    }
}

pub(crate) const STYLE: &str = "
body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;color:#1a1a1a;max-width:1100px;margin:2em auto;padding:0 1em;line-height:1.45}
h1{font-size:1.7em;margin-bottom:.2em}h2{border-bottom:2px solid #444;padding-bottom:.2em;margin-top:2em}
h3{margin-top:1.5em}.lede{color:#444}
table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.92em}
th,td{padding:.3em .6em;border-bottom:1px solid #ddd;text-align:right}
th{background:#f2f2f2}td.l,th.l{text-align:left}
.higher{color:#0b6e4f;font-weight:bold}.lower{color:#b33c00;font-weight:bold}.none{color:#666}
figure{margin:1em 0 2em}figure svg{max-width:100%;height:auto;display:block;margin:.4em 0}
figcaption{color:#444;font-size:.9em}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(440px,1fr));gap:0 1.2em}.grid figure{margin:.4em 0 1.2em}
li.focus{font-weight:bold}
@media print{body{max-width:none;margin:0;padding:0;font-size:10pt}.grid{grid-template-columns:1fr 1fr}
figure,table,li,tr{break-inside:avoid}h2,h3,h4{break-after:avoid}details{display:block}summary{font-weight:bold}
code{word-break:break-all}}
footer{margin-top:3em;border-top:2px solid #999;font-size:.85em;color:#333}
code{background:#f4f4f4;padding:0 .2em;word-break:break-all}
";

/// The whole report.
pub fn report(
    cmp: &Comparison,
    rows: &[SummaryRow],
    bands: &[BandRow],
    all_findings: &[(String, Vec<Finding>)],
    charts: &crate::report::Charts,
    meta: &ReportMeta,
) -> String {
    let lang = meta.lang;
    let w = lang.words();
    let mut h = String::new();
    let policies: Vec<&str> = cmp.policies.iter().map(|p| p.name()).collect();
    let base = &cmp.baseline;
    let s = &base.scenario;
    let (policies_e, base_e) = (escape(&policies.join(", ")), escape(base.name()));
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        lang.code(),
        fill(w.page_title, &[&policies_e, &base_e])
    );
    let _ = writeln!(
        h,
        "<header>\n<h1>{}</h1>\n<p class=\"lede\">{}</p>\n</header>",
        fill(w.heading, &[&policies_e, &base_e]),
        fill(
            w.lede,
            &[
                &escape(&meta.pasar_version),
                &s.date_of_tick(0).to_string(),
                &s.date_of_tick(s.ticks().saturating_sub(1)).to_string(),
                &s.ticks().to_string(),
                &s.spec.simulation.days_per_tick.to_string(),
                &cmp.paired_replicates().to_string(),
                &escape(&meta.replicates_note),
            ]
        )
    );

    // The findings a briefing leads with, in words, then what to know
    // before quoting them.
    let _ = writeln!(h, "<section id=\"findings\">\n<h2>{}</h2>", w.key_findings);
    let days = s.spec.simulation.days_per_tick;
    for (name, list) in all_findings {
        findings(&mut h, name, list, days, lang);
    }
    h.push_str("</section>\n");
    caveats_section(
        &mut h,
        &caveats(cmp, rows, all_findings),
        &meta.command,
        lang,
    );

    // What each scenario changes, and every event each one applied.
    let _ = writeln!(h, "<section id=\"changes\">\n<h2>{}</h2>", w.changes);
    for p in &cmp.policies {
        changes_section(&mut h, base, p, w);
    }
    events_applied(&mut h, cmp, lang);
    h.push_str("</section>\n");

    // Several policies: which does most, and who pays.
    if cmp.policies.len() > 1 {
        side_by_side(&mut h, cmp, rows, lang);
    }

    // The headline table.
    let _ = writeln!(h, "<section id=\"headline\">\n<h2>{}</h2>", w.headline);
    if let Some(r) = meta.crn_narrowing {
        let r = lang.decimal(&format!("{r:.1}"));
        let _ = writeln!(h, "<p>{}</p>", fill(w.crn_narrowing, &[&r]));
    }
    for p in &cmp.policies {
        headline_tables(&mut h, cmp, p, rows, lang);
    }
    h.push_str("</section>\n");

    // The sellers who sold on social commerce: how their revenue changed.
    segments_section(&mut h, cmp, bands, lang);

    // Charts, in a grid, grouped by the question they answer.
    let _ = writeln!(
        h,
        "<section id=\"charts\">\n<h2>{}</h2>\n<p>{}</p>",
        w.charts, w.charts_lede
    );
    for part in Part::ALL {
        let mine: Vec<&ChartPair> = charts
            .pairs
            .iter()
            .filter(|c| c.part == Some(part))
            .collect();
        if mine.is_empty() {
            continue;
        }
        let _ = writeln!(h, "<h3>{}</h3>\n<div class=\"grid\">", part.title_in(lang));
        for c in mine {
            let _ = write!(
                h,
                "<figure>\n{}\n{}\n<figcaption>{} (charts/{}.png, charts/{}-diff.png)</figcaption>\n</figure>\n",
                inline_svg(&c.levels_svg),
                inline_svg(&c.diff_svg),
                escape(&c.title),
                escape(&c.file_stem),
                escape(&c.file_stem)
            );
        }
        h.push_str("</div>\n");
    }
    if !charts.constant.is_empty() {
        let _ = writeln!(
            h,
            "<p class=\"none\">{}</p>",
            fill(w.not_charted, &[&escape(&charts.constant.join("; "))])
        );
    }
    h.push_str("</section>\n");

    // Reproducibility.
    let _ = writeln!(
        h,
        "<footer id=\"reproducibility\">\n<h2>{}</h2>",
        w.reproducibility
    );
    let seeds: Vec<String> = meta.replicate_seeds.iter().map(|s| s.to_string()).collect();
    let _ = writeln!(
        h,
        "<p>{}</p>",
        fill(
            w.made_with,
            &[
                &escape(&meta.pasar_version),
                &escape(&meta.generated_utc),
                &meta.seed.to_string(),
                &seeds.join(", "),
            ]
        )
    );
    let _ = writeln!(
        h,
        "<p>{}<br><code>{}</code></p>",
        w.command,
        escape(&meta.command.join(" "))
    );
    let _ = writeln!(
        h,
        "<table>\n<tr><th class=\"l\">{}</th><th class=\"l\">{}</th><th class=\"l\">SHA-256</th></tr>",
        w.scenario, w.file
    );
    for arm in std::iter::once(base).chain(cmp.policies.iter()) {
        for file in &arm.files {
            let (path, sha) = (&file.path, &file.sha256);
            let _ = writeln!(
                h,
                "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td class=\"l\"><code>{}</code></td></tr>",
                escape(arm.name()),
                escape(path),
                escape(sha)
            );
        }
    }
    let _ = writeln!(
        h,
        "</table>\n<p>{}</p>\n</footer>\n</body>\n</html>",
        w.same_numbers
    );
    h
}

/// Per policy, the segment's sellers by the change of their revenue across
/// the segment date, baseline and policy side by side.
fn segments_section(h: &mut String, cmp: &Comparison, bands: &[BandRow], lang: Lang) {
    let Some((date, closing, window)) = segment_of(&cmp.baseline.scenario) else {
        return;
    };
    if bands.is_empty() {
        return;
    }
    let w = lang.words();
    let s = &cmp.baseline.scenario;
    let weeks = window * s.spec.simulation.days_per_tick / 7;
    let date = date.to_string();
    let _ = writeln!(
        h,
        "<section id=\"segments\">\n<h2>{}</h2>\n<p>{}</p>",
        fill(w.segments, &[&date]),
        fill(
            w.segments_lede,
            &[
                &weeks.to_string(),
                &date,
                &s.date_of_tick(closing).to_string()
            ]
        )
    );
    for p in &cmp.policies {
        let mine: Vec<&BandRow> = bands.iter().filter(|r| r.policy == p.name()).collect();
        if mine.is_empty() {
            continue;
        }
        let _ = writeln!(
            h,
            "<h3>{}</h3>\n<table>\n<tr><th class=\"l\">{}</th><th>{}</th><th>{}</th>\
             <th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            escape(p.name()),
            w.revenue_change,
            w.baseline_sellers,
            w.share,
            w.policy_sellers,
            w.share,
            w.difference,
            w.interval95
        );
        for r in &mine {
            let e = &r.effect;
            let ci = e
                .diff
                .ci95()
                .map_or(w.not_available.to_string(), |(lo, hi)| {
                    fill(
                        w.from_to_range,
                        &[&significant_in(lo, lang), &significant_in(hi, lang)],
                    )
                });
            let _ = writeln!(
                h,
                "<tr><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&band_words(r.band, w)),
                significant_in(e.baseline.mean, lang),
                percent(r.baseline_share, 1, lang),
                significant_in(e.policy.mean, lang),
                percent(r.policy_share, 1, lang),
                significant_in(e.diff.mean, lang),
                ci
            );
        }
        h.push_str("</table>\n");
        let lower = |side: fn(&BandRow) -> f64| {
            share_lower(bands, p.name(), side)
                .map_or(w.not_available.to_string(), |x| percent(x, 0, lang))
        };
        let _ = writeln!(
            h,
            "<p>{}</p>",
            fill(
                w.segments_lower,
                &[
                    &s.date_of_tick(closing).to_string(),
                    &lower(|r| r.effect.policy.mean),
                    &escape(p.name()),
                    &lower(|r| r.effect.baseline.mean),
                ]
            )
        );
    }
    h.push_str("</section>\n");
}

/// A band in words: "down 25 to 50%".
fn band_words(band: &str, w: &Words) -> String {
    match band {
        "exited" => w.band_exited.into(),
        "down_over_75_pct" => w.band_down_over_75.into(),
        "down_50_to_75_pct" => w.band_down_50_75.into(),
        "down_25_to_50_pct" => w.band_down_25_50.into(),
        "down_under_25_pct" => w.band_down_under_25.into(),
        "up_under_50_pct" => w.band_up_under_50.into(),
        "up_over_50_pct" => w.band_up_over_50.into(),
        other => other.replace('_', " "),
    }
}

/// Most findings listed per policy beyond the focus and covered metrics.
const FINDINGS: usize = 8;

/// A policy's key findings over the last 13 weeks, in words with units:
/// the focus metrics first, then the metrics every policy question
/// touches, then the other clear effects, clearest and largest first.
fn findings(h: &mut String, policy: &str, list: &[Finding], days_per_tick: u32, lang: Lang) {
    let w = lang.words();
    let _ = writeln!(h, "<h3>{}</h3>", fill(w.findings_of, &[&escape(policy)]));
    if list.is_empty() {
        let _ = writeln!(h, "<p>{}</p>", w.no_finding);
        return;
    }
    h.push_str("<ul>\n");
    let covered = list
        .iter()
        .filter(|f| f.focus || is_covered(&f.key))
        .count();
    for f in list.iter().take(covered.max(FINDINGS)) {
        let class = if f.focus { " class=\"focus\"" } else { "" };
        let _ = writeln!(
            h,
            "<li{class}>{}</li>",
            escape(&finding_sentence(f, days_per_tick, lang))
        );
    }
    h.push_str("</ul>\n");
}

/// What a reader must know before quoting the numbers, computed from the
/// comparison.
fn caveats_section(h: &mut String, c: &Caveats, command: &[String], lang: Lang) {
    let w = lang.words();
    let _ = writeln!(h, "<section id=\"caveats\">\n<h2>{}</h2>\n<ul>", w.caveats);
    let _ = writeln!(
        h,
        "<li>{}</li>",
        fill(w.caveat_replicates, &[&c.replicates.to_string()])
    );
    if !c.unsettled.is_empty() {
        let mut items = Vec::new();
        for u in &c.unsettled {
            let need = match u.replicates_needed {
                Some(n) if n <= SETTLEABLE => fill(w.settle_with, &[&n.to_string()]),
                _ => w.settle_never.to_string(),
            };
            items.push(format!("{} ({need})", title_in(&u.key, lang)));
        }
        let suggestion = c
            .unsettled
            .iter()
            .filter(|u| u.replicates_needed.is_some_and(|n| n <= SETTLEABLE))
            .filter_map(|u| {
                u.precision
                    .map(|p| format!("--precision {}={}", u.key.metric, plain(p)))
            })
            .next()
            .map_or(String::new(), |flag| {
                let base: Vec<&str> = command
                    .iter()
                    .map(String::as_str)
                    .filter(|a| !a.starts_with("--precision"))
                    .collect();
                fill(
                    w.settle_command,
                    &[&escape(&format!("{} {flag}", base.join(" ")))],
                )
            });
        let _ = writeln!(
            h,
            "<li>{}{suggestion}</li>",
            fill(
                w.caveat_unsettled,
                &[&c.replicates.to_string(), &escape(&items.join("; "))]
            )
        );
    }
    if !c.constant.is_empty() {
        let names: Vec<String> = c.constant.iter().map(|k| title_in(k, lang)).collect();
        let _ = writeln!(
            h,
            "<li>{}</li>",
            fill(w.caveat_constant, &[&escape(&names.join("; "))])
        );
    }
    let rupiah = match c.online_gmv_2022 {
        Some(gmv) => fill(
            if (gmv - BI_ONLINE_GMV_2022_WEEK_IDR).abs() <= BI_ONLINE_GMV_2022_SD_IDR {
                w.caveat_rupiah_matches
            } else {
                w.caveat_rupiah
            },
            &[
                &human_in(gmv, lang),
                &human_in(BI_ONLINE_GMV_2022_WEEK_IDR, lang),
                &human_in(BI_ONLINE_GMV_2022_SD_IDR, lang),
                &format!("{:.0}", 100.0 * gmv / BI_ONLINE_GMV_2022_WEEK_IDR),
            ],
        ),
        None => fill(
            w.caveat_rupiah_no_2022,
            &[&human_in(BI_ONLINE_GMV_2022_WEEK_IDR, lang)],
        ),
    };
    let _ = writeln!(h, "<li><b>{}</b> {}</li>", w.rupiah_levels, escape(&rupiah));
    if c.dropped.is_empty() {
        let _ = writeln!(h, "<li>{}</li>", w.caveat_events_all);
    } else {
        for (name, events) in &c.dropped {
            let lines: Vec<String> = events.iter().map(|d| d.describe_in(lang)).collect();
            let _ = writeln!(
                h,
                "<li>{}</li>",
                fill(
                    w.caveat_events_dropped,
                    &[&escape(name), &escape(&lines.join("; "))]
                )
            );
        }
    }
    h.push_str("</ul>\n</section>\n");
}

/// Replicates beyond which an unsettled effect is not worth settling (five
/// times `--max-replicates`' default).
const SETTLEABLE: u64 = 1000;

/// A number as a plain decimal a command line takes: 89000000000, 0.0025.
fn plain(v: f64) -> String {
    if v.abs() >= 1.0 {
        format!("{}", v.round())
    } else {
        let digits = (2 - libm::floor(libm::log10(v.abs())) as i64).clamp(0, 12) as usize;
        format!("{v:.digits$}")
    }
}

/// Every event each scenario applied, with its tick, and those its horizon
/// left out (folded: a reader checks them, rarely reads them).
fn events_applied(h: &mut String, cmp: &Comparison, lang: Lang) {
    let w = lang.words();
    let _ = writeln!(h, "<details>\n<summary>{}</summary>", w.events_applied);
    for arm in std::iter::once(&cmp.baseline).chain(cmp.policies.iter()) {
        let applied = arm.scenario.applied_events_in(lang);
        let dropped = &arm.scenario.dropped_events;
        let _ = write!(
            h,
            "<p><b>{}</b>: {}",
            escape(arm.name()),
            fill(w.applied_count, &[&applied.len().to_string()])
        );
        if !dropped.is_empty() {
            h.push_str(&fill(w.left_out_count, &[&dropped.len().to_string()]));
        }
        h.push_str("</p>\n<ul>\n");
        for e in &applied {
            let _ = writeln!(h, "<li>{}</li>", escape(e));
        }
        for e in dropped {
            let _ = writeln!(
                h,
                "<li class=\"none\">{}</li>",
                fill(w.left_out, &[&escape(&e.describe_in(lang))])
            );
        }
        h.push_str("</ul>\n");
    }
    h.push_str("</details>\n");
}

fn changes_section(h: &mut String, base: &Arm, p: &Arm, w: &Words) {
    let c = changes(&base.scenario, &p.scenario);
    let _ = writeln!(
        h,
        "<h3>{} <span class=\"none\">({})</span></h3>",
        escape(p.name()),
        fill(w.from_file, &[&escape(&p.input.display().to_string())])
    );
    if c.is_empty() {
        let _ = writeln!(h, "<p>{}</p>", w.same_as_baseline);
        return;
    }
    if !c.events_added.is_empty() || !c.events_removed.is_empty() {
        h.push_str("<ul>\n");
        for e in &c.events_added {
            let _ = writeln!(h, "<li>{}</li>", fill(w.adds_event, &[&escape(e)]));
        }
        for e in &c.events_removed {
            let _ = writeln!(h, "<li>{}</li>", fill(w.removes_event, &[&escape(e)]));
        }
        h.push_str("</ul>\n");
    }
    if !c.parameters.is_empty() {
        let _ = writeln!(
            h,
            "<table>\n<tr><th class=\"l\">{}</th><th>{}</th><th>{}</th></tr>",
            w.parameter, w.baseline, w.this_scenario
        );
        for change in &c.parameters {
            let _ = writeln!(
                h,
                "<tr><td class=\"l\"><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                escape(&change.path),
                escape(change.baseline.as_deref().unwrap_or(w.not_set)),
                escape(change.policy.as_deref().unwrap_or(w.not_set))
            );
        }
        h.push_str("</table>\n");
    }
}

/// The policies' effects next to each other, window by window (after an
/// event every policy shares, and the last 13 weeks), each row naming the
/// policy whose difference is highest and whether it is clearly above the
/// next (their paired difference: the replicates of every scenario share
/// their draws, so two policies compare as a policy and its baseline do).
/// Sentences first for the questions a partner or a ban raises: the GMV
/// found on each social channel, purchases lost, UMKM revenue, consumer
/// surplus.
fn side_by_side(h: &mut String, cmp: &Comparison, rows: &[SummaryRow], lang: Lang) {
    let w = lang.words();
    let names: Vec<&str> = cmp.policies.iter().map(|p| p.name()).collect();
    let _ = writeln!(
        h,
        "<section id=\"{SIDE_BY_SIDE}\">\n<h2>{}</h2>\n<p>{}</p>",
        w.side_by_side,
        fill(w.side_lede, &[&escape(cmp.baseline.name())])
    );
    let social = cmp
        .baseline
        .scenario
        .spec
        .channels_of_kind(crate::scenario::ChannelKind::Social);
    let asked = |r: &SummaryRow| {
        (r.key.by == "discovery_channel" && social.contains(&r.key.group.as_str()))
            || (r.key.by == "all"
                && matches!(
                    r.key.metric.as_str(),
                    "purchases_lost" | "umkm_revenue_idr" | "consumer_surplus_idr"
                ))
    };
    for (n, window) in shared_windows(rows, &names).into_iter().enumerate() {
        let mut keys: Vec<&SummaryRow> = rows
            .iter()
            .filter(|r| {
                r.policy == names[0]
                    && r.window == window
                    && part_of(r).is_some_and(|p| p != Part::CrossTabulations)
            })
            .collect();
        // Rows where no policy changes anything say nothing.
        keys.retain(|k| {
            names
                .iter()
                .any(|p| row_of(rows, p, k).is_some_and(|r| !all_zero(&r.effect)))
        });
        let Some(first) = keys.first() else {
            continue;
        };
        let s = &cmp.baseline.scenario;
        let _ = writeln!(
            h,
            "<h3>{} ({} to {})</h3>",
            escape(&window.describe_in(lang)),
            s.date_of_tick(first.range.from as u32),
            s.date_of_tick(first.range.to as u32)
        );
        let sentences: Vec<String> = keys
            .iter()
            .filter(|r| asked(r))
            .filter_map(|r| {
                leader(cmp, rows, r, lang).map(|l| l.sentence(&title_in(&r.key, lang), w))
            })
            .collect();
        if !sentences.is_empty() {
            h.push_str("<ul>\n");
            for s in sentences {
                let _ = writeln!(h, "<li>{s}</li>");
            }
            h.push_str("</ul>\n");
        }
        // The first window's table in full; the others one click away.
        if n > 0 {
            let _ = writeln!(h, "<details>\n<summary>{}</summary>", w.every_series);
        }
        let _ = write!(h, "<table>\n<tr><th class=\"l\">{}</th>", w.metric);
        for p in &names {
            let _ = write!(h, "<th>{}</th>", escape(p));
        }
        let _ = writeln!(h, "<th class=\"l\">{}</th></tr>", w.highest);
        for k in &keys {
            let _ = write!(
                h,
                "<tr><td class=\"l\">{}</td>",
                escape(&title_in(&k.key, lang))
            );
            for p in &names {
                match row_of(rows, p, k) {
                    Some(r) => push_effect_cell(h, r, lang),
                    None => h.push_str("<td class=\"none\"></td>"),
                }
            }
            match leader(cmp, rows, k, lang) {
                Some(l) => {
                    let _ = writeln!(h, "<td class=\"l\">{}</td></tr>", l.cell(w));
                }
                None => h.push_str("<td class=\"l none\"></td></tr>\n"),
            }
        }
        h.push_str("</table>\n");
        if n > 0 {
            h.push_str("</details>\n");
        }
    }
    h.push_str("</section>\n");
}

/// The windows every policy has: after an event they all share (in the
/// order of the first policy's rows), then the last 13 weeks.
fn shared_windows(rows: &[SummaryRow], names: &[&str]) -> Vec<Window> {
    let mut out: Vec<Window> = Vec::new();
    for r in rows.iter().filter(|r| r.policy == names[0]) {
        let shared = names[1..]
            .iter()
            .all(|p| rows.iter().any(|o| o.policy == *p && o.window == r.window));
        if matches!(r.window, Window::AfterEvent { .. }) && shared && !out.contains(&r.window) {
            out.push(r.window.clone());
        }
    }
    out.push(Window::Last13Weeks);
    out
}

/// The row of policy `policy` for the series and window of `like`.
fn row_of<'a>(rows: &'a [SummaryRow], policy: &str, like: &SummaryRow) -> Option<&'a SummaryRow> {
    rows.iter()
        .find(|r| r.policy == policy && r.key == like.key && r.window == like.window)
}

/// The policy with the highest difference on a series, and its lead.
struct Leader {
    best: String,
    diff: String,
    ci: String,
    /// The next policy, the lead and its interval, when there is one.
    next: Option<(String, String, String, bool)>,
}

impl Leader {
    fn cell(&self, w: &Words) -> String {
        match &self.next {
            Some((next, lead, ci, clear)) => format!(
                "{} ({})",
                escape(&self.best),
                fill(
                    w.lead_cell,
                    &[
                        &escape(lead),
                        &escape(ci),
                        &escape(next),
                        if *clear { "" } else { w.not_clearly }
                    ]
                )
            ),
            None => escape(&self.best),
        }
    }

    fn sentence(&self, series: &str, w: &Words) -> String {
        let lead = match &self.next {
            Some((next, lead, ci, clear)) => fill(
                if *clear { w.clear_lead } else { w.unclear_lead },
                &[&escape(next), &escape(lead), &escape(ci)],
            ),
            None => String::new(),
        };
        fill(
            w.highest_sentence,
            &[
                &escape(series),
                &escape(&self.best),
                &escape(&self.diff),
                &escape(&self.ci),
                &lead,
            ],
        )
    }
}

/// The policy whose difference on `like`'s series is highest, and by how
/// much it leads the next, from the replicates the two policies share.
fn leader(cmp: &Comparison, rows: &[SummaryRow], like: &SummaryRow, lang: Lang) -> Option<Leader> {
    let mut ranked: Vec<(&crate::analysis::Arm, &SummaryRow)> = cmp
        .policies
        .iter()
        .filter_map(|p| row_of(rows, p.name(), like).map(|r| (p, r)))
        .collect();
    ranked.sort_by(|a, b| b.1.effect.diff.mean.total_cmp(&a.1.effect.diff.mean));
    let (best, top) = *ranked.first()?;
    let t = effect_text(&top.key.metric, &top.effect, lang);
    let next = ranked.get(1).and_then(|(second, _)| {
        let lead = crate::analysis::effects::paired_effect(
            &second.panel,
            &best.panel,
            &like.key,
            like.range,
        )?;
        let text = effect_text(&like.key.metric, &lead, lang);
        Some((
            second.name().to_string(),
            text.diff,
            text.ci,
            lead.diff.significant(),
        ))
    });
    Some(Leader {
        best: best.name().to_string(),
        diff: t.diff,
        ci: t.ci,
        next,
    })
}

/// The part of the headline table a row belongs to.
fn part_of(r: &SummaryRow) -> Option<Part> {
    headline_of(&r.key).map(|h| h.part)
}

/// One effect as a side-by-side cell: the difference and its interval,
/// coloured by the verdict.
fn push_effect_cell(h: &mut String, r: &SummaryRow, lang: Lang) {
    let t = effect_text(&r.key.metric, &r.effect, lang);
    let _ = write!(
        h,
        "<td class=\"{}\">{} {}</td>",
        verdict_class(t.direction),
        escape(&t.diff),
        escape(&t.ci)
    );
}

fn verdict_class(v: &str) -> &'static str {
    match v {
        "higher" => "higher",
        "lower" => "lower",
        _ => "none",
    }
}

fn headline_tables(h: &mut String, cmp: &Comparison, p: &Arm, rows: &[SummaryRow], lang: Lang) {
    let w = lang.words();
    let mine: Vec<&SummaryRow> = rows.iter().filter(|r| r.policy == p.name()).collect();
    let last13: Vec<&&SummaryRow> = mine
        .iter()
        .filter(|r| r.window == Window::Last13Weeks && !all_zero(&r.effect))
        .collect();
    let s = &cmp.baseline.scenario;
    if let Some(first) = last13.first() {
        let _ = writeln!(
            h,
            "<h3>{}</h3>",
            fill(
                w.last13_table,
                &[
                    &escape(p.name()),
                    &s.date_of_tick(first.range.from as u32).to_string(),
                    &s.date_of_tick(first.range.to as u32).to_string(),
                ]
            )
        );
    }
    for part in Part::ALL {
        let in_part: Vec<&&&SummaryRow> =
            last13.iter().filter(|r| part_of(r) == Some(part)).collect();
        if in_part.is_empty() {
            continue;
        }
        // The cross-tabulations are long: folded, one click away.
        let folded = part == Part::CrossTabulations;
        if folded {
            let _ = writeln!(h, "<details>\n<summary>{}</summary>", part.title_in(lang));
        } else {
            let _ = writeln!(h, "<h4>{}</h4>", part.title_in(lang));
        }
        let _ = writeln!(
            h,
            "<table>\n<tr><th class=\"l\">{}</th><th class=\"l\">{}</th><th>{}</th><th>{}</th>\
             <th>{}</th><th>{}</th><th>{}</th><th class=\"l\">{}</th></tr>",
            w.metric,
            w.unit,
            w.baseline,
            w.policy,
            w.difference,
            w.interval95,
            w.relative,
            w.verdict
        );
        for r in in_part {
            let t = effect_text(&r.key.metric, &r.effect, lang);
            let rel = r
                .effect
                .rel_change()
                .map_or(String::new(), |x| signed_percent(x, lang));
            let _ = writeln!(
                h,
                "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
                 <td class=\"l {}\">{}</td></tr>",
                escape(&title_in(&r.key, lang)),
                escape(unit_in(&r.key.metric, lang)),
                escape(&t.baseline),
                escape(&t.policy),
                escape(&t.diff),
                escape(&t.ci),
                escape(&rel),
                verdict_class(t.direction),
                escape(t.verdict)
            );
        }
        h.push_str("</table>\n");
        if folded {
            h.push_str("</details>\n");
        }
    }
    // After each event: the series of the first three parts.
    let last13: Vec<&&SummaryRow> = last13
        .into_iter()
        .filter(|r| part_of(r) != Some(Part::CrossTabulations))
        .collect();
    for event in policy_events(&cmp.baseline.scenario, &p.scenario) {
        let _ = writeln!(
            h,
            "<details>\n<summary><b>{}</summary>\n<table>\n<tr><th class=\"l\">{}</th>{}</tr>",
            fill(
                w.after_event_table,
                &[
                    &escape(p.name()),
                    &escape(&event.label),
                    &event.date.to_string()
                ]
            ),
            w.metric,
            WEEKS_AFTER
                .iter()
                .map(|n| format!("<th>{}</th>", fill(w.weeks_after, &[&n.to_string()])))
                .collect::<String>()
        );
        let keys: Vec<_> = last13.iter().map(|r| r.key.clone()).collect();
        for key in keys {
            let _ = write!(
                h,
                "<tr><td class=\"l\">{}</td>",
                escape(&title_in(&key, lang))
            );
            for weeks in WEEKS_AFTER {
                let cell = mine.iter().find(|r| {
                    r.key == key
                        && matches!(&r.window, Window::AfterEvent { event: e, weeks: w } if *e == event && *w == weeks)
                });
                match cell {
                    Some(r) => push_effect_cell(h, r, lang),
                    None => {
                        let _ = write!(h, "<td class=\"none\">{}</td>", w.past_horizon);
                    }
                }
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</table>\n</details>\n");
    }
}
