//! Sensitivity designs and estimators against known answers: the Ishigami
//! function's analytic Sobol indices, and Morris on a linear model.

use pasar::analysis::design::{Design, DesignKind, Factor, Levels};
use pasar::analysis::sensitivity::{morris_indices, sobol_indices};
use std::f64::consts::PI;

fn range(path: &str, low: f64, high: f64) -> Factor {
    Factor {
        path: path.into(),
        levels: Levels::Range { low, high },
    }
}

/// Ishigami and Homma (1990), a = 7, b = 0.1.
fn ishigami(x: &[f64]) -> f64 {
    let (a, b) = (7.0, 0.1);
    x[0].sin() + a * x[1].sin().powi(2) + b * x[2].powi(4) * x[0].sin()
}

/// Base sample size and bootstrap resamples of the Ishigami check.
const N: usize = 4096;
const RESAMPLES: usize = 1000;

#[test]
fn sobol_indices_of_the_ishigami_function_match_the_analytic_values() {
    let factors = (1..=3).map(|i| range(&format!("x{i}"), -PI, PI)).collect();
    let design = Design::generate(DesignKind::Sobol { base: N }, factors, 2023)
        .unwrap_or_else(|e| panic!("{e}"));
    let y: Vec<f64> = design.rows.iter().map(|x| ishigami(x)).collect();
    let indices = sobol_indices(3, &y, RESAMPLES, 7);
    // Analytic values (Sobol' and Levitan 1999; Saltelli et al. 2008).
    let s1 = [0.3139, 0.4424, 0.0];
    let st = [0.5576, 0.4424, 0.2437];
    for (i, e) in indices.iter().enumerate() {
        println!(
            "x{}: S1 {:.4} [{:.4}, {:.4}] (analytic {:.4}); ST {:.4} [{:.4}, {:.4}] (analytic {:.4})",
            i + 1,
            e.s1,
            e.s1_ci95.0,
            e.s1_ci95.1,
            s1[i],
            e.st,
            e.st_ci95.0,
            e.st_ci95.1,
            st[i]
        );
        assert!(
            e.s1_ci95.0 <= s1[i] && s1[i] <= e.s1_ci95.1,
            "S1 of x{}",
            i + 1
        );
        assert!(
            e.st_ci95.0 <= st[i] && st[i] <= e.st_ci95.1,
            "ST of x{}",
            i + 1
        );
        // And the intervals are informative, not everything.
        assert!(e.s1_ci95.1 - e.s1_ci95.0 < 0.1 && e.st_ci95.1 - e.st_ci95.0 < 0.1);
    }
}

#[test]
fn morris_ranks_a_linear_model_by_its_coefficients() {
    let coefficients = [5.0, -3.0, 1.0, 0.2, 0.0];
    let factors = (0..coefficients.len())
        .map(|i| range(&format!("x{i}"), 0.0, 2.0))
        .collect();
    let design = Design::generate(
        DesignKind::Morris {
            trajectories: 20,
            levels: 4,
        },
        factors,
        11,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let y: Vec<f64> = design
        .rows
        .iter()
        .map(|x| x.iter().zip(coefficients).map(|(x, c)| c * x).sum())
        .collect();
    let m = morris_indices(&design, &y);
    for (i, e) in m.iter().enumerate() {
        // Unit-cube effects: the coefficient times the range width (2).
        assert!(
            (e.mu - 2.0 * coefficients[i]).abs() < 1e-9,
            "mu of x{i}: {}",
            e.mu
        );
        assert!((e.mu_star - 2.0 * coefficients[i].abs()).abs() < 1e-9);
        assert!(e.sigma < 1e-9, "a linear model has no interactions");
        assert_eq!(e.effects, 20);
    }
    let mut order: Vec<usize> = (0..m.len()).collect();
    order.sort_by(|&a, &b| m[b].mu_star.total_cmp(&m[a].mu_star));
    assert_eq!(order, vec![0, 1, 2, 3, 4]);
}

#[test]
fn morris_sees_interactions_in_sigma() {
    // y = x0 * x1 + x2: the effects of x0 and x1 depend on each other.
    let factors = (0..3).map(|i| range(&format!("x{i}"), 0.0, 1.0)).collect();
    let design = Design::generate(
        DesignKind::Morris {
            trajectories: 30,
            levels: 4,
        },
        factors,
        3,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let y: Vec<f64> = design.rows.iter().map(|x| x[0] * x[1] + x[2]).collect();
    let m = morris_indices(&design, &y);
    assert!(m[0].sigma > 0.1 && m[1].sigma > 0.1);
    assert!(m[2].sigma < 1e-9);
}
