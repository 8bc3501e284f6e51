//! `pasar compare` from the command line: what it writes, that it does not
//! depend on threads or on whether it ran the scenarios itself, when
//! `--precision` stops, and how it refuses what it cannot compare.

mod common;

use common::{BAN_WINDOW, send_signal, set_flags};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::process::Stdio;
use std::time::Duration;

fn scenario(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name)
}

fn pasar(args: &[&str], cwd: &Path) -> Output {
    common::pasar_command()
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("start pasar")
}

fn ok(output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "pasar failed:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `pasar compare` on scenario files with the small settings.
fn compare(inputs: &[PathBuf], out: &Path, extra: &[&str]) -> Output {
    let mut args: Vec<String> = vec!["compare".into()];
    args.extend(inputs.iter().map(|p| p.display().to_string()));
    args.extend(["--out".into(), out.display().to_string(), "--quiet".into()]);
    // A key the test sets itself replaces the small settings' (each key
    // may be given once).
    let key = |s: &str| s.split_once('=').map_or(s, |(k, _)| k).to_string();
    let own: Vec<String> = extra
        .windows(2)
        .filter(|w| w[0] == "--set")
        .map(|w| key(w[1]))
        .collect();
    let window: Vec<&str> = BAN_WINDOW
        .iter()
        .copied()
        .filter(|s| !own.contains(&key(s)))
        .collect();
    args.extend(set_flags(&window));
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    pasar(&args, out.parent().expect("a parent"))
}

fn pair() -> Vec<PathBuf> {
    vec![scenario("baseline.toml"), scenario("payment_ban.toml")]
}

fn manifest(out: &Path) -> serde_json::Value {
    let text = fs::read_to_string(out.join("manifest.json")).expect("manifest.json");
    serde_json::from_str(&text).expect("manifest.json is JSON")
}

fn header(path: &Path) -> String {
    fs::read_to_string(path)
        .expect("read a CSV")
        .lines()
        .next()
        .unwrap_or("")
        .to_string()
}

#[test]
fn compare_writes_tables_charts_and_a_self_contained_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("ban");
    // 40 weeks, so the last 13 all fall after the ban (tick 18).
    let stdout = ok(&compare(
        &pair(),
        &out,
        &[
            "--replicates",
            "3",
            "--set",
            "simulation.ticks=40",
            "--focus",
            "umkm_profit_idr",
        ],
    ));
    assert_eq!(
        header(&out.join("effects.csv")),
        "policy,metric,by,group,tick,date,baseline_mean,policy_mean,diff_mean,diff_se,diff_ci95_low,diff_ci95_high,rel_change,replicates"
    );
    assert!(header(&out.join("summary.csv")).starts_with("policy,metric,by,group,unit,window,"));
    assert!(header(&out.join("columns.csv")) == "file,column,unit,meaning");
    for stem in [
        "gmv_share-channel-tiktok_shop",
        "import_penetration-all-all",
        "umkm_profit_idr-all-all",
    ] {
        for suffix in [".svg", "-diff.svg"] {
            let svg = fs::read_to_string(out.join("charts").join(format!("{stem}{suffix}")))
                .unwrap_or_else(|e| panic!("{stem}{suffix}: {e}"));
            assert!(svg.contains("<svg") && svg.contains("2023-10-04 payment_ban tiktok_shop"));
        }
        for suffix in [".png", "-diff.png"] {
            let png = fs::read(out.join("charts").join(format!("{stem}{suffix}"))).expect("a PNG");
            assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000);
        }
    }
    let html = fs::read_to_string(out.join("report.html")).expect("report.html");
    for id in [
        "findings",
        "changes",
        "headline",
        "charts",
        "reproducibility",
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "no section {id}");
    }
    assert!(html.contains("adds the event <b>2023-10-04: payment_ban channel=tiktok_shop</b>"));
    // payment_ban.toml follows the sellers on social before the ban; the
    // baseline is given the same segment.
    assert!(html.contains("id=\"segments\""), "no segments section");
    assert!(html.contains("had lower revenue under payment_ban"));
    assert!(
        header(&out.join("segments.csv")).starts_with("policy,segment_date,window_weeks,band,")
    );
    // The findings cover the question's metrics, in words with units.
    let findings = html
        .split("<section id=\"findings\">")
        .nth(1)
        .and_then(|s| s.split("</section>").next())
        .unwrap_or("");
    for needle in [
        "UMKM revenue: ",
        "Import penetration: ",
        "GMV share, channel tiktok_shop: ",
        "percentage points lower",
        " a week ",
        "Net change in all purchases: ",
    ] {
        assert!(
            findings.contains(needle),
            "findings lack {needle:?}:\n{findings}"
        );
    }
    // Caveats computed from the comparison.
    assert!(html.contains("id=\"caveats\""));
    assert!(html.contains("3 paired replicates"));
    assert!(html.contains("Does not vary in this model"));
    assert!(html.contains("<b>Rupiah levels.</b>"));
    // Every event each scenario applied, and those its horizon left out.
    assert!(html.contains("Every event applied, scenario by scenario"));
    assert!(html.contains("2023-10-04: payment_ban channel=tiktok_shop (tick 18)"));
    assert!(html.contains(
        "left out: events[7] (take_rate tokopedia at 2024-05-01) starts after the run ends"
    ));
    let summary = fs::read_to_string(out.join("summary.csv")).expect("summary.csv");
    assert!(
        summary.contains("commission_idr,channel,offline,") && summary.contains(",does_not_vary,"),
        "a constant series is not marked"
    );
    for forbidden in ["<script", "src=", "<link", "@import", "url("] {
        assert!(!html.contains(forbidden), "report.html has {forbidden}");
    }
    let manifest = manifest(&out);
    for (_, sha) in manifest["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .map(|f| {
            (
                f["path"].clone(),
                f["sha256"].as_str().unwrap_or("").to_string(),
            )
        })
    {
        assert!(html.contains(&sha), "the report lacks the hash {sha}");
    }
    assert_eq!(manifest["replicates"], 3);
    // The terminal table fits in 100 columns and says which way things went.
    let table = stdout.rsplit_once("\n\n").map_or("", |(t, _)| t);
    assert!(table.lines().count() > 15, "{stdout}");
    assert!(table.lines().all(|l| l.chars().count() <= 100), "{stdout}");
    // The terminal says which events the shortened horizon left out.
    for name in ["baseline", "payment_ban"] {
        assert!(
            stdout.contains(&format!(
                "{name}: 4 events dropped by the horizon, never applied:"
            )),
            "{stdout}"
        );
    }
    // The focus leads the findings, in the terminal too.
    let first = stdout
        .lines()
        .skip_while(|l| !l.starts_with("key findings, payment_ban"))
        .nth(1)
        .unwrap_or("");
    assert!(first.starts_with("  - UMKM profit: "), "{stdout}");
    // The table's row (its name may be cut to fit 100 columns).
    let social = stdout
        .lines()
        .find(|l| l.starts_with("  GMV share, channel tiktok"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(social.ends_with("lower"), "{social}");
}

#[test]
fn a_scenario_compared_with_itself_shows_exact_zeros() {
    let dir = tempfile::tempdir().expect("tempdir");
    let copy = dir.path().join("same.toml");
    fs::write(
        &copy,
        format!(
            "extends = {:?}\n[simulation]\nname = \"baseline_again\"\n",
            scenario("baseline.toml").display().to_string()
        ),
    )
    .expect("write a scenario");
    let out = dir.path().join("same");
    ok(&compare(
        &[scenario("baseline.toml"), copy],
        &out,
        &["--replicates", "3"],
    ));
    let mut reader = csv::Reader::from_path(out.join("effects.csv")).expect("effects.csv");
    let mut rows = 0;
    for record in reader.records() {
        let r = record.expect("a row");
        assert_eq!(&r[8], "0", "row {r:?}");
        // An interval needs two replicates with a value (a share of a
        // channel with no sales in a replicate has none).
        let interval = if &r[13] == "1" { "" } else { "0" };
        for column in [10, 11] {
            assert_eq!(&r[column], interval, "row {r:?}");
        }
        rows += 1;
    }
    assert!(rows > 1000);
}

#[test]
fn results_do_not_depend_on_threads_or_on_who_ran_the_scenarios() {
    let dir = tempfile::tempdir().expect("tempdir");
    let one = dir.path().join("one");
    let two = dir.path().join("two");
    ok(&compare(
        &pair(),
        &one,
        &["--replicates", "3", "--threads", "1"],
    ));
    ok(&compare(
        &pair(),
        &two,
        &["--replicates", "3", "--threads", "2"],
    ));
    for file in ["effects.csv", "summary.csv"] {
        assert!(
            fs::read(one.join(file)).expect("one") == fs::read(two.join(file)).expect("two"),
            "{file} depends on the thread count"
        );
    }
    // The same comparison from finished runs.
    let mut folders = Vec::new();
    for s in pair() {
        let run = dir.path().join(s.file_stem().expect("a name"));
        let mut args = vec!["run", s.to_str().expect("UTF-8"), "--out"];
        let run_str = run.display().to_string();
        args.push(&run_str);
        // The segment payment_ban.toml follows, which compare gives the
        // baseline, the baseline's own run must be told.
        args.extend([
            "--quiet",
            "--replicates",
            "3",
            "--set",
            "segments.social_before=2023-10-04",
        ]);
        let small = set_flags(BAN_WINDOW);
        args.extend(small.iter().map(String::as_str));
        ok(&pasar(&args, dir.path()));
        folders.push(run);
    }
    let from_runs = dir.path().join("from_runs");
    let mut args: Vec<String> = vec!["compare".into()];
    args.extend(folders.iter().map(|p| p.display().to_string()));
    args.extend([
        "--out".into(),
        from_runs.display().to_string(),
        "--quiet".into(),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ok(&pasar(&args, dir.path()));
    for file in ["effects.csv", "summary.csv"] {
        assert!(
            fs::read(one.join(file)).expect("one") == fs::read(from_runs.join(file)).expect("runs"),
            "{file} differs when read from run folders"
        );
    }
}

/// Half-widths of the rows of summary.csv whose metric is a share.
fn share_half_widths(out: &Path) -> Vec<f64> {
    let mut reader = csv::Reader::from_path(out.join("summary.csv")).expect("summary.csv");
    let mut widths = Vec::new();
    for record in reader.records() {
        let r = record.expect("a row");
        if r[4].starts_with("share") {
            let mean: f64 = r[15].parse().expect("diff_mean");
            let high: f64 = r[18].parse().expect("diff_ci95_high");
            widths.push(high - mean);
        }
    }
    widths
}

#[test]
fn precision_adds_replicates_until_precise_and_no_longer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("precise");
    // Share effects within ±6 pp: reached in a few rounds at this size,
    // the import penetration of the small platforms being the slowest.
    let target = 0.06;
    let stdout = ok(&compare(
        &pair(),
        &out,
        &[
            "--replicates",
            "2",
            "--precision",
            "0.06",
            "--max-replicates",
            "60",
        ],
    ));
    let m = manifest(&out);
    let decision = &m["replicate_decision"];
    assert_eq!(decision["stopped"], "precise", "{stdout}");
    let history: Vec<u64> = decision["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|v| v.as_u64().expect("a count"))
        .collect();
    assert!(history.len() >= 2, "precise at once: {history:?}");
    assert!(share_half_widths(&out).iter().all(|&w| w < target));
    // One round earlier, some share effect was still too wide.
    let earlier = dir.path().join("earlier");
    let previous = history[history.len() - 2].to_string();
    ok(&compare(&pair(), &earlier, &["--replicates", &previous]));
    assert!(
        share_half_widths(&earlier).iter().any(|&w| w >= target),
        "already precise at {previous} replicates"
    );
    assert!(stdout.contains("below its target"), "{stdout}");
    // Replicates added in rounds are the replicates a plain run computes.
    let plain = dir.path().join("plain");
    let last = history[history.len() - 1].to_string();
    ok(&compare(&pair(), &plain, &["--replicates", &last]));
    assert!(
        fs::read(out.join("effects.csv")).expect("precise")
            == fs::read(plain.join("effects.csv")).expect("plain"),
        "a --precision run differs from a plain run of {last} replicates"
    );
}

#[test]
fn precision_stops_at_the_maximum_and_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("max");
    let stdout = ok(&compare(
        &pair(),
        &out,
        &[
            "--replicates",
            "2",
            "--precision",
            "1e-12",
            "--max-replicates",
            "5",
        ],
    ));
    let decision = manifest(&out)["replicate_decision"].clone();
    assert_eq!(decision["stopped"], "max_replicates");
    assert_eq!(decision["replicates"], 5);
    assert!(stdout.contains("--max-replicates 5"), "{stdout}");
    // The manifest says what the terminal says.
    let sentence = decision["sentence"].as_str().expect("a sentence");
    for line in sentence.lines() {
        assert!(stdout.contains(line.trim()), "{line} not in {stdout}");
    }
    assert!(
        stdout.contains("no target for gmv_idr, commission_idr, sellers_alive, umkm_revenue_idr"),
        "{stdout}"
    );
}

/// Three checkout partners against the ban: the report puts them side by
/// side after the partner event they share, and names the one that gives
/// social commerce back the most at first: Tokopedia, where most of its
/// sellers already are (listing share 0.7 against Bukalapak's 0.3).
#[test]
fn partners_side_by_side_name_the_one_that_restores_most() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("partners");
    let inputs = [
        scenario("payment_ban.toml"),
        scenario("partner_tokopedia.toml"),
        scenario("partner_bukalapak.toml"),
    ];
    // 40 weeks from 2023-05-29: the partner event (2023-12-12) is tick 28.
    ok(&compare(
        &inputs,
        &out,
        &[
            "--replicates",
            "3",
            "--set",
            "simulation.ticks=40",
            "--set",
            "population.umkm.count=2000",
        ],
    ));
    let html = fs::read_to_string(out.join("report.html")).expect("report.html");
    let start = html
        .find("id=\"side-by-side\"")
        .expect("a side-by-side section");
    let section = &html[start..html[start..].find("</section>").expect("its end") + start];
    assert!(
        section.contains("4 wk after checkout_partner tiktok_shop"),
        "{section}"
    );
    assert!(
        section
            .contains("<b>GMV, found on tiktok_shop</b>: highest under <b>partner_tokopedia</b>"),
        "{section}"
    );
    for name in ["partner_tokopedia", "partner_bukalapak", "highest"] {
        assert!(
            section.contains(&format!("<th>{name}</th>"))
                || section.contains(&format!(">{name}</th>")),
            "{name}"
        );
    }
    // Who pays: offline and the other platforms' rows are there.
    for row in [
        "GMV, channel offline",
        "GMV, channel shopee",
        "UMKM revenue",
        "Purchases lost",
    ] {
        assert!(section.contains(row), "no row {row}");
    }
    // One policy: no such section.
    let single = dir.path().join("single");
    ok(&compare(&pair(), &single, &[]));
    let html = fs::read_to_string(single.join("report.html")).expect("report.html");
    assert!(!html.contains("id=\"side-by-side\""));
}

/// Run and expect a refusal naming `needles`, with nothing written.
fn refused(args: &[&str], cwd: &Path, out: &Path, needles: &[&str]) {
    let output = pasar(args, cwd);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{args:?}:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for n in needles {
        assert!(stderr.contains(n), "{args:?}: no `{n}` in\n{stderr}");
    }
    assert!(!out.exists(), "{args:?} wrote {}", out.display());
}

#[test]
fn incompatible_runs_are_refused_with_what_differs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let base = d.join("base");
    let other_seed = d.join("seeded");
    for (s, out, seed) in [
        ("baseline.toml", &base, "42"),
        ("payment_ban.toml", &other_seed, "7"),
    ] {
        let mut args = vec![
            "run",
            s,
            "--quiet",
            "--replicates",
            "2",
            "--seed",
            seed,
            "--out",
        ];
        let o = out.display().to_string();
        args.push(&o);
        let small = set_flags(BAN_WINDOW);
        args.extend(small.iter().map(String::as_str));
        let path = scenario(s);
        args[1] = path.to_str().expect("UTF-8");
        ok(&pasar(&args, d));
    }
    let out = d.join("cmp");
    let (b, o, c) = (
        base.display().to_string(),
        other_seed.display().to_string(),
        out.display().to_string(),
    );
    refused(
        &["compare", &b, &o, "--out", &c],
        d,
        &out,
        &["seed 7", "--seed 42"],
    );
    // Another pasar version.
    let text = fs::read_to_string(other_seed.join("manifest.json")).expect("manifest");
    let edited = text
        .replace("\"seed\": 7", "\"seed\": 42")
        .replace(env!("CARGO_PKG_VERSION"), "0.0.1-other");
    fs::write(other_seed.join("manifest.json"), edited).expect("edit the manifest");
    refused(
        &["compare", &b, &o, "--out", &c],
        d,
        &out,
        &["pasar version 0.0.1-other"],
    );
    // Not a run at all, a file mixed with a folder, flags that need files.
    let empty = d.join("empty");
    fs::create_dir(&empty).expect("mkdir");
    let e = empty.display().to_string();
    refused(
        &["compare", &b, &e, "--out", &c],
        d,
        &out,
        &["not a finished pasar run", "manifest.json"],
    );
    let file = scenario("payment_ban.toml").display().to_string();
    refused(
        &["compare", &b, &file, "--out", &c],
        d,
        &out,
        &["either scenario files or run folders"],
    );
    refused(
        &["compare", &b, &b, "--precision", "0.01", "--out", &c],
        d,
        &out,
        &["need scenario files"],
    );
}

#[test]
fn bad_comparisons_of_scenario_files_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let out = d.join("cmp");
    let c = out.display().to_string();
    let base = scenario("baseline.toml").display().to_string();
    let ban = scenario("payment_ban.toml").display().to_string();
    refused(
        &["compare", &base, &base, "--out", &c],
        d,
        &out,
        &["both named `baseline`", "simulation.name"],
    );
    refused(
        &["compare", &base, &ban, "--precision", "abc", "--out", &c],
        d,
        &out,
        &["`abc` is not a number"],
    );
    refused(
        &["compare", &base, &ban, "--precision", "-1", "--out", &c],
        d,
        &out,
        &["positive"],
    );
    refused(
        &[
            "compare",
            &base,
            &ban,
            "--precision",
            "gmv_shar=0.1",
            "--out",
            &c,
        ],
        d,
        &out,
        &["did you mean gmv_share?"],
    );
    refused(
        &[
            "compare",
            &base,
            &ban,
            "--precision",
            "hhi=0.1",
            "--out",
            &c,
        ],
        d,
        &out,
        &["not a headline metric"],
    );
    let longer = d.join("longer.toml");
    fs::write(
        &longer,
        format!("extends = {ban:?}\n[simulation]\nname = \"longer\"\nticks = 200\n"),
    )
    .expect("write");
    let l = longer.display().to_string();
    refused(
        &["compare", &base, &l, "--out", &c],
        d,
        &out,
        &[
            "simulate different periods",
            "simulation.ticks 200 differs from the baseline's 157",
        ],
    );
    let broken = d.join("broken.toml");
    fs::write(&broken, "extends = \"nowhere.toml\"\n").expect("write");
    let br = broken.display().to_string();
    refused(
        &["compare", &base, &br, "--out", &c],
        d,
        &out,
        &["broken.toml", "nowhere.toml"],
    );
}

#[test]
fn ctrl_c_stops_a_comparison_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("cmp");
    let child = common::pasar_command()
        .arg("compare")
        .args([scenario("baseline.toml"), scenario("payment_ban.toml")])
        .args(["--replicates", "8", "--quiet", "--out"])
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start pasar");
    std::thread::sleep(Duration::from_millis(1500));
    send_signal(&child, "-INT");
    let output = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!out.exists(), "an interrupted comparison wrote results");
    let leftovers: Vec<_> = fs::read_dir(dir.path()).expect("list").collect();
    assert!(leftovers.is_empty(), "left behind: {leftovers:?}");
}

/// The segment of sellers on social commerce comes from `--social-before`
/// or from a scenario file; every scenario then follows it, and two files
/// that follow different dates are refused with the flag that settles it.
#[test]
fn segments_follow_the_date_given_or_written_and_must_agree() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("border");
    let inputs = [scenario("baseline.toml"), scenario("cross_border_ban.toml")];
    ok(&compare(
        &inputs,
        &out,
        &["--replicates", "2", "--social-before", "2023-09-04"],
    ));
    let segments = fs::read_to_string(out.join("segments.csv")).expect("segments.csv");
    let rows: Vec<&str> = segments.lines().skip(1).collect();
    assert_eq!(rows.len(), 7, "{segments}");
    assert!(
        rows.iter()
            .all(|r| r.starts_with("cross_border_ban,2023-09-04,8,"))
    );
    let shares: f64 = rows
        .iter()
        .map(|r| {
            r.split(',')
                .nth(10)
                .and_then(|x| x.parse::<f64>().ok())
                .unwrap_or(0.0)
        })
        .sum();
    assert!(
        (shares - 1.0).abs() < 1e-9,
        "baseline shares sum to {shares}"
    );
    let html = fs::read_to_string(out.join("report.html")).expect("report.html");
    assert!(html.contains("UMKM that sold on social commerce before 2023-09-04"));

    // Without a date, no segment table.
    let plain = dir.path().join("plain");
    ok(&compare(&inputs, &plain, &["--replicates", "1"]));
    assert!(!plain.join("segments.csv").exists());

    // Two files, two dates: refused before anything runs.
    let other = dir.path().join("later.toml");
    fs::write(
        &other,
        format!(
            "extends = \"{}\"\n[simulation]\nname = \"later\"\n[segments]\nsocial_before = 2023-11-06\n",
            scenario("payment_ban.toml").display()
        ),
    )
    .expect("write later.toml");
    let refused_out = dir.path().join("refused");
    let output = compare(
        &[scenario("payment_ban.toml"), other],
        &refused_out,
        &["--set", "simulation.ticks=30"],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("different segments") && stderr.contains("--social-before"),
        "{stderr}"
    );
    assert!(!refused_out.exists());
}

/// `summary.xlsx` opens as a workbook and holds the numbers of
/// `summary.csv` exactly (formats change their display, not their value).
#[test]
fn the_spreadsheet_round_trips_the_summary_numbers() {
    use calamine::{Data, Reader, Xlsx, open_workbook};
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("ban");
    ok(&compare(&pair(), &out, &["--replicates", "2"]));
    let mut book: Xlsx<_> = open_workbook(out.join("summary.xlsx")).expect("summary.xlsx opens");
    let names = book.sheet_names();
    assert_eq!(names, ["summary", "segments", "about"]);
    let sheet = book.worksheet_range("summary").expect("a summary sheet");
    let rows: Vec<&[Data]> = sheet.rows().collect();
    let mut csv = csv::Reader::from_path(out.join("summary.csv")).expect("summary.csv");
    let records: Vec<csv::StringRecord> = csv.records().map(|r| r.expect("a row")).collect();
    assert_eq!(
        rows.len(),
        records.len() + 1,
        "one sheet row per summary.csv row"
    );
    assert_eq!(rows[0][0], Data::String("policy".into()));
    let number = |d: &Data| match d {
        Data::Float(f) => Some(*f),
        Data::Int(i) => Some(*i as f64),
        _ => None,
    };
    let mut compared = 0;
    for (row, rec) in rows[1..].iter().zip(&records) {
        assert_eq!(row[2], Data::String(rec[1].to_string()), "metric");
        // baseline_mean, policy_mean, diff_mean, diff_ci95_low, diff_ci95_high
        for (col, field) in [(11, 13), (12, 14), (13, 15), (14, 17), (15, 18)] {
            let text = &rec[field];
            if text.is_empty() {
                continue;
            }
            let want: f64 = text.parse().expect("a number");
            assert_eq!(number(&row[col]), Some(want), "row {rec:?} column {col}");
            compared += 1;
        }
    }
    assert!(compared > 500, "{compared} numbers compared");
}

#[test]
fn lang_id_writes_the_report_and_the_summary_in_indonesian() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("ban-id");
    let stdout = ok(&compare(
        &pair(),
        &out,
        &["--replicates", "2", "--lang", "id"],
    ));
    // The terminal summary.
    for words in [
        "temuan utama, payment_ban",
        "kesimpulan",
        "Pangsa GMV",
        "hasil di",
    ] {
        assert!(
            stdout.contains(words),
            "the summary lacks `{words}`:\n{stdout}"
        );
    }
    for english in ["key findings", "verdict", "GMV share", "results in"] {
        assert!(
            !stdout.contains(english),
            "English `{english}` in:\n{stdout}"
        );
    }
    // Indonesian numbers: decimal commas, intervals split by semicolons.
    assert!(
        stdout.contains(" poin [") && stdout.contains("; "),
        "{stdout}"
    );
    // The page: its language, its sections, and no English heading.
    let page = fs::read_to_string(out.join("report.html")).expect("report.html");
    assert!(page.contains("<html lang=\"id\">"));
    for heading in [
        "<h2>Temuan utama</h2>",
        "<h2>Sebelum mengutip angka-angka ini</h2>",
        "<h2>Dampak utama</h2>",
    ] {
        assert!(page.contains(heading), "the page lacks {heading}");
    }
    let headings = common::headings(&page);
    assert!(headings.len() > 20, "{} headings", headings.len());
    let english = common::english_in(&headings);
    assert!(
        english.is_empty(),
        "English headings on the Indonesian page: {english:#?}"
    );
    // The charts speak it too (axis titles are drawn into the SVG).
    assert!(
        page.contains("tanggal (awal periode)"),
        "chart axes in English"
    );
    let svg =
        fs::read_to_string(out.join("charts/umkm_revenue_idr-all-all-diff.svg")).expect("a chart");
    assert!(
        svg.contains("Pendapatan UMKM: selisih dari baseline"),
        "chart title in English"
    );

    // The same comparison in English has the English headings the check
    // looks for: it can fail.
    let out_en = dir.path().join("ban-en");
    ok(&compare(&pair(), &out_en, &["--replicates", "2"]));
    let page_en = fs::read_to_string(out_en.join("report.html")).expect("report.html");
    assert!(page_en.contains("<html lang=\"en\">"));
    let english = common::english_in(&common::headings(&page_en));
    assert!(english.len() > 20, "the check finds only {english:?}");
    // The numbers do not depend on the language.
    assert_eq!(
        fs::read(out.join("summary.csv")).expect("summary.csv"),
        fs::read(out_en.join("summary.csv")).expect("summary.csv")
    );
}

#[test]
fn an_unknown_language_is_refused_before_anything_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("fr");
    let output = compare(&pair(), &out, &["--lang", "fr"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("`fr` is not a language") && stderr.contains("id (Bahasa Indonesia)"),
        "{stderr}"
    );
    assert!(!out.exists(), "a refused run left {}", out.display());
}
