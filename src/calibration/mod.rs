//! Calibration: fitting a scenario's parameters to observed facts by the
//! simulated method of moments, and forecasting quantities out of sample.
//!
//! - [`moments`]: the quantities a run is summarised by (one grammar for
//!   targets and forecasts);
//! - [`targets`]: the targets and forecast files, checked with places;
//! - [`smm`]: the objective, its evaluations and their store;
//! - [`optimise`]: Nelder–Mead (argmin) from several starts;
//! - [`fit`]: the fit table and the fitted series for the chart;
//! - [`covariance`]: the fitted parameters' standard errors (the SMM
//!   covariance from the Jacobian of the moments);
//! - [`uncertainty`]: draws of the fitted parameters from that
//!   covariance, and a forecast's variance split into noise and parameters;
//! - [`forecast`]: forecast quantities with intervals.
//!
//! No file is written here: the CLI gives a store and an observer.

pub mod covariance;
pub mod fit;
pub mod forecast;
pub mod moments;
pub mod optimise;
pub mod smm;
pub mod targets;
pub mod uncertainty;

pub use optimise::{Fit, Settings, minimise};
pub use smm::{Calibration, CalibrationError, Evaluation, EvaluationStore, FreeParam, MemoryStore};
pub use targets::{Forecasts, Targets};
