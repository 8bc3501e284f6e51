//! Wall time of building a scenario's population and of each of its first
//! ticks, with the decisions made, for docs/PERFORMANCE.md's national-scale
//! extrapolation (a whole national year takes too long to measure often).
//!
//! `cargo run --release --example tick_times -- scenarios/national.toml 3 [threads]`
//!
//! Peak memory: run the built example under `/usr/bin/time -v`.

use pasar::model::Model;
use pasar::scenario::Scenario;
use std::path::Path;
use std::time::Instant;

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
            let start = Instant::now();
            model.step();
            let seconds = start.elapsed().as_secs_f64();
            let decisions = model.flows().decisions;
            println!(
                "tick {}: {seconds:.2} s, {decisions} decisions, {:.0} decisions/s, {:.2} GiB held",
                model.tick() - 1,
                decisions as f64 / seconds,
                model.heap_bytes() as f64 / (1u64 << 30) as f64
            );
        }
    });
    Ok(())
}
