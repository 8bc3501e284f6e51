//! Throughput of the model: one whole tick and a short run, at the sample
//! scale and at ten times fewer agents, reported as purchase decisions per
//! second. `cargo bench --bench model`.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use pasar::model::Model;
use pasar::scenario::Scenario;
use std::path::Path;

fn scenario(consumers: u64, umkm: u64) -> Scenario {
    let sets = [
        format!("population.consumers.count={consumers}"),
        format!("population.umkm.count={umkm}"),
    ];
    match Scenario::load(Path::new("scenarios/baseline.toml"), &sets) {
        Ok(s) => s,
        Err(e) => panic!("the shipped baseline must load: {e}"),
    }
}

fn tick(c: &mut Criterion) {
    let mut group = c.benchmark_group("tick");
    group.sample_size(10);
    for (consumers, umkm) in [(2_000u64, 4_000u64), (20_000, 40_000)] {
        let s = scenario(consumers, umkm);
        let mut model = Model::new(&s, 0);
        // Warm up past the first ticks so popularity and markups have moved.
        for _ in 0..5 {
            model.step();
        }
        let decisions = {
            let mut probe = Model::new(&s, 0);
            probe.step();
            probe.flows().decisions
        };
        group.throughput(Throughput::Elements(decisions));
        group.bench_with_input(
            BenchmarkId::from_parameter(format!("{consumers}c_{umkm}s")),
            &(),
            |b, _| b.iter(|| model.step()),
        );
    }
    group.finish();
}

criterion_group!(benches, tick);
criterion_main!(benches);
