//! Long runs stay steady: a few thousand ticks of a small scenario with
//! policy events and steady entry and exit. Memory does not grow after the
//! warm-up (the process's resident set, and the model's seller slots, which
//! exits free for entrants to reuse) and the accounting identities still
//! hold at the end. The only test in its binary, so that the resident set
//! is this test's alone.

mod common;

use pasar::metrics::{By, Metric, TickRecord};
use pasar::model::Model;

const TICKS: u32 = 3000;
const WARM: u32 = 500;

/// VmRSS of this process in KiB (Linux); `None` elsewhere.
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn sum(rec: &TickRecord, metric: Metric, by: By, groups: usize) -> f64 {
    (0..groups).map(|g| common::value(rec, metric, by, g)).sum()
}

/// Identities every tick must satisfy (a subset of tests/invariants.rs,
/// which checks them all over shorter runs).
fn check(model: &Model, rec: &TickRecord, scale: f64) {
    let t = rec.tick;
    for o in &rec.observations {
        assert!(o.value.is_finite(), "tick {t}: {o:?}");
    }
    let nk = model.market().n_channels;
    let nc = model.market().n_categories;
    let total = common::value(rec, Metric::GmvIdr, By::All, 0);
    assert!(total >= 0.0, "tick {t}: GMV {total}");
    for (by, groups) in [
        (By::Kind, 3),
        (By::Origin, 2),
        (By::Channel, nk),
        (By::Category, nc),
    ] {
        let parts = sum(rec, Metric::GmvIdr, by, groups);
        assert!(
            common::close(parts, total, 1e-9),
            "tick {t}: GMV by {by:?} sums to {parts}, total {total}"
        );
        if total > 0.0 {
            let shares = sum(rec, Metric::GmvShare, by, groups);
            assert!(
                (shares - 1.0).abs() < 1e-9,
                "tick {t}: shares by {by:?} sum to {shares}"
            );
        }
    }
    let s = model.sellers();
    let alive = s.alive.iter().filter(|&&a| a).count() as f64;
    let recorded = common::value(rec, Metric::SellersAlive, By::All, 0);
    assert!(
        common::close(recorded, alive * scale, 1e-12),
        "tick {t}: sellers_alive {recorded} but {alive} alive slots x {scale}"
    );
    let mut ids: Vec<u32> = (0..s.len())
        .filter(|&j| s.alive[j])
        .map(|j| s.id[j])
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(
        ids.len() as f64,
        alive,
        "tick {t}: two alive sellers share an id"
    );
    let purchases = common::value(rec, Metric::Purchases, By::All, 0);
    let attempts = common::value(rec, Metric::PurchaseAttempts, By::All, 0);
    assert!(
        purchases <= attempts,
        "tick {t}: {purchases} purchases of {attempts} attempts"
    );
}

#[test]
fn thousands_of_ticks_keep_memory_flat_and_identities_true() {
    // Tight cash and costs keep sellers exiting and entering throughout;
    // the baseline's events (fees, bans) fall inside the horizon.
    let scenario = common::load(&[
        "simulation.ticks=3000",
        "simulation.replicates=1",
        "population.umkm.count=120",
        "population.importer.count=15",
        "population.affiliate.count=5",
        "population.consumers.count=150",
        "population.umkm.initial_cash_idr=20000",
        "population.importer.initial_cash_idr=20000",
    ]);
    let scale = scenario.spec.simulation.seller_scale;
    let mut model = Model::new(&scenario, 0);
    let mut at_warm = None;
    let mut peak_alive = 0usize;
    let (mut entries, mut exits) = (0.0, 0.0);
    for t in 0..TICKS {
        let rec = model.step();
        assert_eq!(rec.tick, t);
        check(&model, &rec, scale);
        let alive = model.sellers().alive.iter().filter(|&&a| a).count();
        if t >= WARM {
            peak_alive = peak_alive.max(alive);
            entries += common::value(&rec, Metric::Entries, By::All, 0);
            exits += common::value(&rec, Metric::Exits, By::All, 0);
        }
        if t == WARM {
            at_warm = Some((model.sellers().len(), rss_kib()));
        }
    }
    let (slots_warm, rss_warm) = at_warm.expect("the warm-up ended");
    let slots_end = model.sellers().len();
    let rss_end = rss_kib();
    eprintln!(
        "soak: {TICKS} ticks; seller slots {slots_warm} at tick {WARM}, {slots_end} at the end \
         (peak alive {peak_alive}); entries {entries} and exits {exits} (real sellers) after tick {WARM}; \
         resident set {rss_warm:?} KiB at tick {WARM}, {rss_end:?} KiB at the end"
    );
    // The run churned: sellers came and went after the warm-up.
    assert!(entries > 0.0 && exits > 0.0, "no churn to test");
    // Slots freed by exits are reused: there are never more slots than
    // were alive at once (plus one tick's entrants).
    assert!(
        slots_end <= slots_warm.max(peak_alive) + 32,
        "seller slots grew from {slots_warm} to {slots_end} (peak alive {peak_alive})"
    );
    if let (Some(a), Some(b)) = (rss_warm, rss_end) {
        // 2,500 ticks of even 1 KiB each would add 2.4 MiB.
        assert!(
            b <= a + 2048,
            "resident set grew from {a} KiB to {b} KiB between tick {WARM} and tick {TICKS}"
        );
    }
}
