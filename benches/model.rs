//! Throughput of the model, at three sizes an order of magnitude apart
//! (consumers and sellers scaled together from the baseline's 1:1000
//! sample): the shopping step alone (purchase decisions per second), the
//! ranking step alone (sellers per second) and a whole tick (decisions per
//! second). Per-size times show how a tick scales with orders and sellers.
//!
//! The `limit` group times the "irreducible work" of one decision
//! written as a tight loop (a category draw, 20 position draws, 20
//! utilities each with a logarithm and a Gumbel draw, an argmax), with the
//! portable `libm` logarithm the model must use and with the platform's
//! faster one: the same machine, in the same session, so that the model's
//! throughput can be reported as a measured ratio to that limit.
//!
//! `cargo bench --bench model` (a few minutes on 2 cores). Set
//! `PASAR_BENCH_LARGE=1` to add a national-like size (a tenth of
//! `scenarios/national.toml`: 2.2 million sellers, 1.9 million consumers),
//! and `PASAR_BENCH_THREADS=n` to run inside a pool of n threads (default
//! 1, so that figures are per core).

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use pasar::dist::uniform_open;
use pasar::model::Model;
use pasar::rng::Rng;
use pasar::scenario::Scenario;
use std::path::Path;
use std::time::Duration;

/// The allocator of the `pasar` binary, so that figures match its runs.
#[global_allocator]
static ALLOC: pasar::hugepages::HugePageAlloc = pasar::hugepages::HugePageAlloc;

/// (label, consumers, UMKM, importers).
fn sizes() -> Vec<(&'static str, u64, u64, u64)> {
    let mut sizes = vec![
        ("tenth_sample", 2_000, 4_000, 80),
        ("sample", 20_000, 40_000, 800),
        ("ten_samples", 200_000, 400_000, 8_000),
    ];
    if std::env::var_os("PASAR_BENCH_LARGE").is_some() {
        sizes.push(("tenth_national", 1_900_000, 2_200_000, 44_000));
    }
    sizes
}

fn scenario(consumers: u64, umkm: u64, importers: u64) -> Scenario {
    let sets = [
        format!("population.consumers.count={consumers}"),
        format!("population.umkm.count={umkm}"),
        format!("population.importer.count={importers}"),
    ];
    // PASAR_BENCH_SCENARIO times another scenario at the same sizes (the
    // three-channel fixture, to compare code on the scenario of 0.2).
    let path = std::env::var("PASAR_BENCH_SCENARIO")
        .unwrap_or_else(|_| "scenarios/baseline.toml".to_string());
    match Scenario::load(Path::new(&path), &sets) {
        Ok(s) => s,
        Err(e) => panic!("{path} must load: {e}"),
    }
}

fn pool() -> rayon::ThreadPool {
    let threads = std::env::var("PASAR_BENCH_THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(1);
    match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(p) => p,
        Err(e) => panic!("cannot start {threads} threads: {e}"),
    }
}

/// A model warmed up past its first ticks, so that popularity and markups
/// have moved.
fn warm(s: &Scenario) -> Model<'_> {
    let mut model = Model::new(s, 0);
    for _ in 0..3 {
        model.step();
    }
    model
}

fn model_benches(c: &mut Criterion) {
    let pool = pool();
    for (label, consumers, umkm, importers) in sizes() {
        let s = scenario(consumers, umkm, importers);
        let mut model = warm(&s);
        let sellers = model.sellers().len() as u64;
        {
            let decisions = pool.install(|| {
                model.bench_rank();
                model.bench_shop()
            });

            let mut group = c.benchmark_group("shopping");
            group.sample_size(10).warm_up_time(Duration::from_secs(1));
            group.throughput(Throughput::Elements(decisions));
            group.bench_function(BenchmarkId::from_parameter(label), |b| {
                b.iter(|| pool.install(|| model.bench_shop()))
            });
            group.finish();

            let mut group = c.benchmark_group("ranking");
            group.sample_size(10).warm_up_time(Duration::from_secs(1));
            group.throughput(Throughput::Elements(sellers));
            group.bench_function(BenchmarkId::from_parameter(label), |b| {
                b.iter(|| pool.install(|| model.bench_rank()))
            });
            group.finish();

            // Always the same tick (the fourth) of a fresh warm model: a
            // model stepped on and on would drift past the scenario's
            // horizon, its trends carrying it where no run goes.
            let mut fresh = warm(&s);
            pool.install(|| fresh.step());
            let decisions = fresh.flows().decisions;
            let mut group = c.benchmark_group("tick");
            group.sample_size(10).warm_up_time(Duration::from_secs(1));
            group.throughput(Throughput::Elements(decisions));
            group.bench_function(BenchmarkId::from_parameter(label), |b| {
                b.iter_batched_ref(
                    || warm(&s),
                    |m| pool.install(|| m.step()),
                    BatchSize::PerIteration,
                )
            });
            group.finish();
        }
    }
}

/// Decisions per iteration of the limit loop.
const LIMIT_DECISIONS: u64 = 10_000;

/// The limit loop: per decision a category by demand share, then 20
/// candidates, each at a geometric position (attention 15) in a bucket of
/// 3,700 listings (the baseline marketplace's), with utility
/// quality − ln(price / reference) + Gumbel noise, and the argmax.
fn limit_loop(rng: &mut Rng, ln: fn(f64) -> f64, listings: &[(f64, f64)]) -> usize {
    // Open on both sides: the loop takes logarithms of its uniforms.
    let uniform = |rng: &mut Rng| uniform_open(rng);
    let cumulative = [0.29, 0.48, 0.67, 0.82, 0.97, 1.0];
    let ln_q = ln(1.0 - 1.0 / 15.0);
    let mut chosen = 0;
    for _ in 0..LIMIT_DECISIONS {
        let u = uniform(rng);
        let category = cumulative.iter().position(|&c| u < c).unwrap_or(5);
        let (mut best, mut argmax) = (f64::NEG_INFINITY, 0);
        for _ in 0..20 {
            let position = ((ln(uniform(rng)) / ln_q) as usize).min(listings.len() - 1);
            let (quality, relative_price) = listings[position];
            let utility = quality - ln(relative_price) - ln(-ln(uniform(rng)));
            if utility > best {
                (best, argmax) = (utility, position);
            }
        }
        chosen += argmax + category;
    }
    chosen
}

fn limit_benches(c: &mut Criterion) {
    let listings: Vec<(f64, f64)> = (0..3_700u64)
        .map(|i| {
            (
                (i * 7_919 % 101) as f64 / 50.0 - 1.0,
                0.5 + (i * 104_729 % 97) as f64 / 97.0,
            )
        })
        .collect();
    let mut group = c.benchmark_group("limit");
    group.sample_size(10).warm_up_time(Duration::from_secs(1));
    group.throughput(Throughput::Elements(LIMIT_DECISIONS));
    for (label, ln) in [
        ("libm_log", libm::log as fn(f64) -> f64),
        ("platform_ln", f64::ln),
    ] {
        let mut rng = Rng::new(20_231_004);
        group.bench_function(BenchmarkId::from_parameter(label), |b| {
            b.iter(|| limit_loop(&mut rng, ln, &listings))
        });
    }
    group.finish();
}

criterion_group!(benches, limit_benches, model_benches);
criterion_main!(benches);
