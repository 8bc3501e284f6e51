//! pasar: an agent-based simulator of Indonesian retail channels (offline,
//! marketplaces, social commerce) under trade and platform policy.
//!
//! The library does all the work: [`scenario`] reads and validates scenario
//! files, [`model`] simulates one replicate tick by tick, [`metrics`] names
//! what a tick records, [`runner`] runs replicates in parallel and reports
//! to observers, and [`output`] writes the files. The `pasar` binary is a
//! thin command-line layer over them.

pub mod analysis;
pub mod calibration;
pub mod dist;
pub mod hugepages;
pub mod input;
pub mod job;
pub mod lang;
pub mod metrics;
pub mod model;
pub mod output;
pub mod remedy;
pub mod report;
pub mod resources;
pub mod rng;
pub mod runner;
pub mod scenario;
pub mod sweep;
