//! Wall time of building a scenario's population and of each of its first
//! ticks, with the decisions made, for docs/PERFORMANCE.md's national-scale
//! extrapolation (a whole national year takes too long to measure often).
//!
//! `cargo run --release --example tick_times -- scenarios/national.toml 3 [threads]`
//!
//! CPU seconds (user + system, all threads, from /proc/self/stat on Linux)
//! are printed beside wall seconds: on a shared machine the wall time
//! depends on what else runs, the CPU time much less. Peak memory: run the
//! built example under `/usr/bin/time -v`.

use pasar::model::Model;
use pasar::scenario::Scenario;
use std::path::Path;
use std::time::Instant;

/// The allocator of the `pasar` binary, so that figures match its runs.
#[global_allocator]
static ALLOC: pasar::hugepages::HugePageAlloc = pasar::hugepages::HugePageAlloc;

/// CPU seconds this process has used (user + system), where readable.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses).
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    // Clock ticks per second: 100 on Linux.
    Some((utime + stime) / 100.0)
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let path = args
        .get(1)
        .map_or("scenarios/national.toml", String::as_str);
    let ticks: u32 = args.get(2).map_or(Ok(3), |t| t.parse())?;
    let threads: usize = args.get(3).map_or(Ok(0), |t| t.parse())?;
    let scenario = Scenario::load(Path::new(path), &[format!("simulation.ticks={ticks}")])?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    println!("{path}: {} threads", pool.current_num_threads());
    pool.install(|| {
        let start = Instant::now();
        let mut model = Model::new(&scenario, 0);
        println!(
            "population: {:.1} s, {} seller slots, {} consumers, {:.2} GiB held",
            start.elapsed().as_secs_f64(),
            model.sellers().len(),
            model.consumers().len(),
            model.heap_bytes() as f64 / (1u64 << 30) as f64
        );
        for _ in 0..ticks {
            let (start, cpu_start) = (Instant::now(), cpu_seconds());
            model.step();
            let seconds = start.elapsed().as_secs_f64();
            let cpu = cpu_seconds()
                .zip(cpu_start)
                .map_or(f64::NAN, |(b, a)| b - a);
            let decisions = model.flows().decisions;
            let sellers = model.sellers();
            let listings: u64 = sellers.eligible.iter().map(|e| e.count_ones() as u64).sum();
            println!(
                "tick {}: {seconds:.2} s wall, {cpu:.2} s CPU, {decisions} decisions, \
                 {:.0} decisions/s, {:.0} decisions/CPU-s, {} seller slots, {listings} \
                 eligible listings, {:.2} GiB held",
                model.tick() - 1,
                decisions as f64 / seconds,
                decisions as f64 / cpu,
                sellers.len(),
                model.heap_bytes() as f64 / (1u64 << 30) as f64
            );
        }
    });
    Ok(())
}
