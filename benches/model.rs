//! Throughput of the model, at three sizes an order of magnitude apart
//! (consumers and sellers scaled together from the baseline's 1:1000
//! sample): the shopping step alone (purchase decisions per second), the
//! ranking step alone (sellers per second) and a whole tick (decisions per
//! second). Per-size times show how a tick scales with orders and sellers.
//!
//! `cargo bench --bench model` (a few minutes on 2 cores). Set
//! `PASAR_BENCH_LARGE=1` to add a national-like size (a tenth of
//! `scenarios/national.toml`: 2.2 million sellers, 1.9 million consumers),
//! and `PASAR_BENCH_THREADS=n` to run inside a pool of n threads (default
//! 1, so that figures are per core).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use pasar::model::Model;
use pasar::scenario::Scenario;
use std::path::Path;
use std::time::Duration;

/// (label, consumers, UMKM, importers).
fn sizes() -> Vec<(&'static str, u64, u64, u64)> {
    let mut sizes = vec![
        ("tenth_sample", 2_000, 4_000, 3),
        ("sample", 20_000, 40_000, 30),
        ("ten_samples", 200_000, 400_000, 300),
    ];
    if std::env::var_os("PASAR_BENCH_LARGE").is_some() {
        sizes.push(("tenth_national", 1_900_000, 2_200_000, 1_650));
    }
    sizes
}

fn scenario(consumers: u64, umkm: u64, importers: u64) -> Scenario {
    let sets = [
        format!("population.consumers.count={consumers}"),
        format!("population.umkm.count={umkm}"),
        format!("population.importer.count={importers}"),
    ];
    match Scenario::load(Path::new("scenarios/baseline.toml"), &sets) {
        Ok(s) => s,
        Err(e) => panic!("the shipped baseline must load: {e}"),
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

            let mut group = c.benchmark_group("tick");
            group.sample_size(10).warm_up_time(Duration::from_secs(1));
            group.throughput(Throughput::Elements(decisions));
            group.bench_function(BenchmarkId::from_parameter(label), |b| {
                b.iter(|| pool.install(|| model.step()))
            });
            group.finish();
        }
    }
}

criterion_group!(benches, model_benches);
criterion_main!(benches);
