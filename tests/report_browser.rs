//! `report.html` rendered by a real browser (headless Chromium): the page
//! loads with no network, shows its sections, and the screenshot is not
//! blank but has the charts' colours. It needs Chromium, so a plain
//! `cargo test` lists it as ignored (never as passed); `.ci/run` installs
//! Chromium from Debian packages when it is missing and runs it with
//! `--ignored`, and then it fails if no browser is found.

mod common;

use common::{BAN_WINDOW, set_flags};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn browser() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PASAR_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .iter()
    .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
    .find(|p| p.is_file())
}

/// Run the browser headless on `page` with `args`, killing it after two
/// minutes; returns stdout (through a file: a page's DOM is bigger than a
/// pipe's buffer, and a full pipe would stall the browser).
fn headless(browser: &Path, profile: &Path, page: &Path, args: &[&str]) -> String {
    let stdout_path = profile.with_extension("stdout");
    let stdout = std::fs::File::create(&stdout_path).expect("a file for stdout");
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--hide-scrollbars",
            "--disable-extensions",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdout(stdout)
        .stderr(Stdio::null())
        .spawn()
        .expect("start the browser");
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait for the browser").is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("the browser did not finish in two minutes");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    String::from_utf8_lossy(&std::fs::read(&stdout_path).expect("browser output")).into_owned()
}

/// `pasar compare` of the baseline and the payment ban over 40 weeks,
/// 2 replicates, into `out`, with `extra` flags.
fn compare_ban(out: &Path, extra: &[&str]) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let status = common::pasar_command()
        .args(["compare"])
        .arg(root.join("scenarios/baseline.toml"))
        .arg(root.join("scenarios/payment_ban.toml"))
        .args(["--replicates", "2", "--quiet"])
        .args(extra)
        .arg("--out")
        .arg(out)
        .args(set_flags(&common::layered(
            BAN_WINDOW,
            &["simulation.ticks=40"],
        )))
        .stdout(Stdio::null())
        .status()
        .expect("run pasar compare");
    assert!(status.success(), "pasar compare {extra:?} failed");
}

#[test]
#[ignore = "needs Chromium: .ci/run installs it and runs this with --ignored"]
fn report_renders_in_a_real_browser() {
    let Some(browser) = browser() else {
        panic!("no chromium in PATH: set PASAR_CHROMIUM or install chromium");
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("cmp");
    compare_ban(&out, &[]);
    let page = out.join("report.html");
    let profile = dir.path().join("profile");

    // The page as the browser built it.
    let dom = headless(&browser, &profile, &page, &["--dump-dom"]);
    for section in [
        "<section id=\"findings\">",
        "<section id=\"changes\">",
        "<section id=\"headline\">",
        "<section id=\"charts\">",
        "<footer id=\"reproducibility\">",
        "Headline effects",
        "What each scenario changes",
    ] {
        assert!(dom.contains(section), "the rendered page lacks {section}");
    }
    assert!(
        dom.matches("<svg").count() >= 30,
        "charts missing from the DOM"
    );
    // Charts in a grid, grouped by question; a series that never varies is
    // named, not charted.
    assert!(dom.contains("<div class=\"grid\">"), "no chart grid");
    assert!(dom.contains("<h3>Platforms, owners and offline</h3>"));
    assert!(dom.contains("Not charted, because they do not vary in this model"));
    assert!(
        !dom.contains("<figcaption>GMV share, kind affiliate"),
        "a constant series was charted"
    );
    assert!(dom.contains("@media print"), "no print layout");

    // What a reader sees: the whole page, however long the headline tables
    // grow above the charts (a window taller than the page leaves white below).
    let shot = dir.path().join("shot.png");
    let arg = format!("--screenshot={}", shot.display());
    headless(
        &browser,
        &profile,
        &page,
        &[&arg, "--window-size=1280,30000"],
    );
    let decoder = png::Decoder::new(std::fs::File::open(&shot).expect("a screenshot"));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader
        .next_frame(&mut pixels)
        .expect("decode the screenshot");
    let channels = info.color_type.samples();
    assert!(
        channels >= 3,
        "unexpected colour type {:?}",
        info.color_type
    );
    let rgb: Vec<(u8, u8, u8)> = pixels[..info.buffer_size()]
        .chunks(channels)
        .map(|p| (p[0], p[1], p[2]))
        .collect();
    let non_white = rgb.iter().filter(|p| **p != (255, 255, 255)).count();
    let share = non_white as f64 / rgb.len() as f64;
    assert!(
        share > 0.01,
        "the screenshot is {:.1}% ink: blank",
        100.0 * share
    );
    // The policy's colour (Okabe-Ito blue) shows: charts were drawn.
    let blue = rgb
        .iter()
        .filter(|(r, g, b)| *r < 40 && (100..=130).contains(g) && (160..=195).contains(b))
        .count();
    assert!(blue > 1000, "only {blue} pixels of the policy's colour");
    println!(
        "screenshot {}x{}: {:.1}% ink, {blue} pixels of the policy colour",
        info.width,
        info.height,
        100.0 * share
    );
    // At a laptop's width the charts stand two abreast: the page ends well
    // within 15,000 pixels (it was about 45,000 long in one column).
    let width = info.width as usize;
    let last_ink_row = rgb
        .chunks(width)
        .rposition(|row| row.iter().any(|p| *p != (255, 255, 255)))
        .unwrap_or(0);
    println!("page height about {last_ink_row} pixels at 1280 wide");
    assert!(
        last_ink_row < 15_000,
        "the page is {last_ink_row} pixels long at a laptop width"
    );

    // The same report in Bahasa Indonesia renders, and the page the
    // browser built carries no English heading.
    let out_id = dir.path().join("cmp-id");
    compare_ban(&out_id, &["--lang", "id"]);
    let dom = headless(
        &browser,
        &profile,
        &out_id.join("report.html"),
        &["--dump-dom"],
    );
    assert!(
        dom.contains("<html lang=\"id\">"),
        "the page does not say it is Indonesian"
    );
    assert!(dom.contains("<h2>Temuan utama</h2>") && dom.contains("<div class=\"grid\">"));
    assert!(
        dom.matches("<svg").count() >= 30,
        "charts missing from the Indonesian DOM"
    );
    let headings = common::headings(&dom);
    let english = common::english_in(&headings);
    assert!(
        english.is_empty(),
        "English on the Indonesian page: {english:#?}"
    );
    println!("Indonesian page: {} headings, none English", headings.len());
}
