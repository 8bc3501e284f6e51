//! The memory estimate behind the CLI's resource guard (`model/footprint.rs`)
//! stays true: it covers what a replicate's state holds, is within a small
//! factor of it, and the state does not grow past it over the ticks.
//! Measured as vector capacities (bytes allocated), not timed.

mod common;

use common::small;
use pasar::model::Model;
use pasar::model::footprint::{bytes_per_replicate, population_bytes};

#[test]
fn estimate_covers_the_state_and_is_close_to_it() {
    let s = small(&[
        "simulation.ticks=15",
        "population.umkm.count=3000",
        "population.consumers.count=4000",
        "behaviour.digitalization_rate=0.1",
    ]);
    let population_estimate = population_bytes(&s.spec) as usize;
    let scratch_bound = (bytes_per_replicate(&s.spec) - population_bytes(&s.spec)) as usize;
    let mut model = Model::new(&s, 0);
    for _ in 0..s.ticks() {
        model.step();
        let state = model.heap_bytes() - model.scratch_bytes();
        assert!(
            state <= population_estimate,
            "tick {}: state {state} B above the estimate {population_estimate} B",
            model.tick()
        );
        assert!(
            population_estimate <= 2 * state,
            "tick {}: estimate {population_estimate} B more than twice the state {state} B",
            model.tick()
        );
        assert!(model.scratch_bytes() > 0);
        assert!(
            model.scratch_bytes() <= scratch_bound,
            "shopping buffers {} B above their bound {scratch_bound} B",
            model.scratch_bytes()
        );
    }
}
