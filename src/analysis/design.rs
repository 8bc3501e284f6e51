//! Experimental designs for sweeps and global sensitivity analysis: full
//! grids, Latin hypercubes, Morris trajectories and Saltelli's scheme for
//! Sobol indices, or a design matrix read from a file.
//!
//! A design is a matrix: one row per sample, one column per factor (a
//! scenario parameter path), in the factor's own units. Designs are drawn
//! from named PCG streams (or a seeded, scrambled Sobol sequence), so the
//! same specification and seed give the same matrix on every machine.

use crate::dist;
use rand::SeedableRng;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DesignError {
    #[error(
        "unknown design `{0}`\n  help: write grid:N, lhs:N, morris:R or sobol:N (N samples or points, R trajectories)"
    )]
    Unknown(String),
    #[error("design `{spec}`: {message}")]
    Invalid { spec: String, message: String },
    #[error("factor `{path}`: {message}")]
    Factor { path: String, message: String },
}

/// What a factor may take.
#[derive(Debug, Clone, PartialEq)]
pub enum Levels {
    /// Any value from `low` to `high`.
    Range { low: f64, high: f64 },
    /// These values only (grids).
    List(Vec<f64>),
}

/// A varied parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Factor {
    /// The parameter path, as in scenario files and `--set`.
    pub path: String,
    pub levels: Levels,
}

impl Factor {
    /// `path=low:high` or `path=a,b,c`.
    pub fn parse(text: &str) -> Result<Factor, DesignError> {
        let bad = |message: String| DesignError::Factor {
            path: text.to_string(),
            message,
        };
        let (path, spec) = text.split_once('=').ok_or_else(|| {
            bad("write PATH=LOW:HIGH (a range) or PATH=A,B,C (values for a grid)".into())
        })?;
        let path = path.trim().to_string();
        let number = |s: &str| -> Result<f64, DesignError> {
            let v: f64 = s.trim().parse().map_err(|_| DesignError::Factor {
                path: path.clone(),
                message: format!("`{}` is not a number", s.trim()),
            })?;
            if v.is_finite() {
                Ok(v)
            } else {
                Err(DesignError::Factor {
                    path: path.clone(),
                    message: format!("`{}` is not a finite number", s.trim()),
                })
            }
        };
        let levels = if let Some((low, high)) = spec.split_once(':') {
            let (low, high) = (number(low)?, number(high)?);
            if low >= high {
                return Err(DesignError::Factor {
                    path,
                    message: format!(
                        "the range {low}:{high} is empty; write LOW:HIGH with LOW < HIGH"
                    ),
                });
            }
            Levels::Range { low, high }
        } else {
            let values = spec.split(',').map(number).collect::<Result<Vec<_>, _>>()?;
            Levels::List(values)
        };
        Ok(Factor { path, levels })
    }

    /// The extreme values the factor can take (to validate them up front).
    pub fn extremes(&self) -> Vec<f64> {
        match &self.levels {
            Levels::Range { low, high } => vec![*low, *high],
            Levels::List(v) => v.clone(),
        }
    }

    fn at(&self, unit: f64) -> f64 {
        match &self.levels {
            Levels::Range { low, high } => low + unit * (high - low),
            // Only grids use lists, and they index them directly.
            Levels::List(v) => v[((unit * v.len() as f64) as usize).min(v.len() - 1)],
        }
    }
}

/// Which design, and its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DesignKind {
    /// Every combination of `points` values per range factor (list
    /// factors use their own values).
    Grid { points: usize },
    /// `samples` rows, one in each of `samples` strata of every factor.
    Lhs { samples: usize },
    /// `trajectories` one-at-a-time paths of k + 1 rows on a `levels`-level
    /// grid (Morris 1991).
    Morris { trajectories: usize, levels: usize },
    /// Saltelli's scheme: `base` rows of A and of B and k mixed matrices,
    /// N (k + 2) rows in all.
    Sobol { base: usize },
    /// Read from a file.
    Samples,
}

impl DesignKind {
    /// `grid:5`, `lhs:100`, `morris:20`, `sobol:256`.
    pub fn parse(spec: &str) -> Result<DesignKind, DesignError> {
        let (name, size) = spec
            .split_once(':')
            .ok_or_else(|| DesignError::Unknown(spec.to_string()))?;
        let n: usize = size.trim().parse().map_err(|_| DesignError::Invalid {
            spec: spec.to_string(),
            message: format!("`{size}` is not a whole number"),
        })?;
        let invalid = |message: &str| DesignError::Invalid {
            spec: spec.to_string(),
            message: message.to_string(),
        };
        match name.trim() {
            "grid" if n >= 1 => Ok(DesignKind::Grid { points: n }),
            "lhs" if n >= 2 => Ok(DesignKind::Lhs { samples: n }),
            "morris" if n >= 2 => Ok(DesignKind::Morris {
                trajectories: n,
                levels: 4,
            }),
            // The scrambled Sobol sequence has 2^16 points per seed.
            "sobol" if (2..=65_536).contains(&n) => Ok(DesignKind::Sobol { base: n }),
            "grid" => Err(invalid("a grid needs at least 1 point per factor")),
            "lhs" | "morris" => Err(invalid("needs at least 2")),
            "sobol" => Err(invalid("the base sample N must be from 2 to 65536")),
            _ => Err(DesignError::Unknown(spec.to_string())),
        }
    }

    /// As written on the command line.
    pub fn spec(&self) -> String {
        match self {
            DesignKind::Grid { points } => format!("grid:{points}"),
            DesignKind::Lhs { samples } => format!("lhs:{samples}"),
            DesignKind::Morris { trajectories, .. } => format!("morris:{trajectories}"),
            DesignKind::Sobol { base } => format!("sobol:{base}"),
            DesignKind::Samples => "samples".to_string(),
        }
    }
}

/// A design matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct Design {
    pub kind: DesignKind,
    pub factors: Vec<Factor>,
    /// One row per sample, in the factors' units.
    pub rows: Vec<Vec<f64>>,
    /// The same rows scaled to [0, 1] (Morris needs the steps).
    pub unit_rows: Vec<Vec<f64>>,
}

impl Design {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Draw a design. `seed` selects the random stream (LHS, Morris) or the
    /// scrambling of the Sobol sequence.
    pub fn generate(
        kind: DesignKind,
        factors: Vec<Factor>,
        seed: u64,
    ) -> Result<Design, DesignError> {
        let k = factors.len();
        if k == 0 {
            return Err(DesignError::Invalid {
                spec: kind.spec(),
                message: "vary at least one parameter".into(),
            });
        }
        if !matches!(kind, DesignKind::Grid { .. })
            && let Some(f) = factors.iter().find(|f| matches!(f.levels, Levels::List(_)))
        {
            return Err(DesignError::Factor {
                path: f.path.clone(),
                message: format!(
                    "a list of values only makes sense in a grid; give {} a range LOW:HIGH",
                    kind.spec()
                ),
            });
        }
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed ^ 0x5eed_de51_9000_0000);
        let unit_rows: Vec<Vec<f64>> = match kind {
            DesignKind::Grid { points } => return grid(points, factors),
            DesignKind::Lhs { samples } => {
                let mut columns = Vec::with_capacity(k);
                for _ in 0..k {
                    let mut strata: Vec<usize> = (0..samples).collect();
                    for i in (1..samples).rev() {
                        strata.swap(i, dist::index(&mut rng, i + 1));
                    }
                    columns.push(
                        strata
                            .into_iter()
                            .map(|s| (s as f64 + dist::uniform(&mut rng)) / samples as f64)
                            .collect::<Vec<f64>>(),
                    );
                }
                (0..samples)
                    .map(|i| columns.iter().map(|c| c[i]).collect())
                    .collect()
            }
            DesignKind::Morris {
                trajectories,
                levels,
            } => morris(&mut rng, trajectories, levels, k),
            DesignKind::Sobol { base } => saltelli(base, k, seed)?,
            DesignKind::Samples => {
                return Err(DesignError::Invalid {
                    spec: "samples".into(),
                    message: "a design read from a file is built with Design::from_rows".into(),
                });
            }
        };
        let rows = unit_rows
            .iter()
            .map(|u| u.iter().zip(&factors).map(|(x, f)| f.at(*x)).collect())
            .collect();
        Ok(Design {
            kind,
            factors,
            rows,
            unit_rows,
        })
    }

    /// A design given as rows of values (`--samples`).
    pub fn from_rows(paths: Vec<String>, rows: Vec<Vec<f64>>) -> Design {
        let factors: Vec<Factor> = paths
            .into_iter()
            .enumerate()
            .map(|(j, path)| {
                let values = rows.iter().map(|r| r[j]);
                let low = values.clone().fold(f64::INFINITY, f64::min);
                let high = values.fold(f64::NEG_INFINITY, f64::max);
                Factor {
                    path,
                    levels: Levels::Range { low, high },
                }
            })
            .collect();
        let unit_rows = rows
            .iter()
            .map(|r| {
                r.iter()
                    .zip(&factors)
                    .map(|(v, f)| match f.levels {
                        Levels::Range { low, high } if high > low => (v - low) / (high - low),
                        _ => 0.0,
                    })
                    .collect()
            })
            .collect();
        Design {
            kind: DesignKind::Samples,
            factors,
            rows,
            unit_rows,
        }
    }
}

/// Every combination, the last factor varying fastest.
fn grid(points: usize, factors: Vec<Factor>) -> Result<Design, DesignError> {
    let values: Vec<Vec<f64>> = factors
        .iter()
        .map(|f| match &f.levels {
            Levels::List(v) => v.clone(),
            Levels::Range { low, high } if points == 1 => vec![0.5 * (low + high)],
            Levels::Range { low, high } => (0..points)
                .map(|i| low + (high - low) * i as f64 / (points - 1) as f64)
                .collect(),
        })
        .collect();
    let total = values
        .iter()
        .try_fold(1usize, |n, v| n.checked_mul(v.len()));
    let Some(total) = total.filter(|&t| t <= 10_000_000) else {
        return Err(DesignError::Invalid {
            spec: format!("grid:{points}"),
            message: "the grid has more than 10 million points; use fewer points or lhs:N".into(),
        });
    };
    let mut rows = Vec::with_capacity(total);
    let mut unit_rows = Vec::with_capacity(total);
    for mut i in 0..total {
        let mut row = vec![0.0; values.len()];
        let mut unit = vec![0.0; values.len()];
        for j in (0..values.len()).rev() {
            let n = values[j].len();
            row[j] = values[j][i % n];
            unit[j] = if n > 1 {
                (i % n) as f64 / (n - 1) as f64
            } else {
                0.5
            };
            i /= n;
        }
        rows.push(row);
        unit_rows.push(unit);
    }
    Ok(Design {
        kind: DesignKind::Grid { points },
        factors,
        rows,
        unit_rows,
    })
}

/// Morris trajectories on a `levels`-level grid with step Δ = levels /
/// (2 (levels − 1)): each starts at a random grid point and moves every
/// factor once, in random order, up by Δ where it can and down otherwise.
fn morris(
    rng: &mut rand_pcg::Pcg64Mcg,
    trajectories: usize,
    levels: usize,
    k: usize,
) -> Vec<Vec<f64>> {
    let delta = morris_delta(levels);
    let mut rows = Vec::with_capacity(trajectories * (k + 1));
    for _ in 0..trajectories {
        let mut x: Vec<f64> = (0..k)
            .map(|_| dist::index(rng, levels) as f64 / (levels - 1) as f64)
            .collect();
        let mut order: Vec<usize> = (0..k).collect();
        for i in (1..k).rev() {
            order.swap(i, dist::index(rng, i + 1));
        }
        rows.push(x.clone());
        for &j in &order {
            x[j] = if x[j] + delta <= 1.0 + 1e-12 {
                x[j] + delta
            } else {
                x[j] - delta
            };
            rows.push(x.clone());
        }
    }
    rows
}

/// Morris's step in the unit cube.
pub fn morris_delta(levels: usize) -> f64 {
    levels as f64 / (2.0 * (levels as f64 - 1.0))
}

/// Saltelli's rows, grouped per base sample j as SALib writes them:
/// A_j, AB_1j … AB_kj, B_j (k + 2 rows). A and B are the first and last k
/// dimensions of an Owen-scrambled Sobol sequence.
fn saltelli(base: usize, k: usize, seed: u64) -> Result<Vec<Vec<f64>>, DesignError> {
    if 2 * k > sobol_burley::NUM_DIMENSIONS as usize {
        return Err(DesignError::Invalid {
            spec: format!("sobol:{base}"),
            message: format!(
                "Sobol designs take at most {} factors",
                sobol_burley::NUM_DIMENSIONS / 2
            ),
        });
    }
    let scramble = (seed ^ (seed >> 32)) as u32;
    let mut rows = Vec::with_capacity(base * (k + 2));
    for j in 0..base as u32 {
        let a: Vec<f64> = (0..k as u32)
            .map(|d| sobol_burley::sample(j, d, scramble) as f64)
            .collect();
        let b: Vec<f64> = (0..k as u32)
            .map(|d| sobol_burley::sample(j, d + k as u32, scramble) as f64)
            .collect();
        rows.push(a.clone());
        for i in 0..k {
            let mut ab = a.clone();
            ab[i] = b[i];
            rows.push(ab);
        }
        rows.push(b);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(path: &str, low: f64, high: f64) -> Factor {
        Factor {
            path: path.into(),
            levels: Levels::Range { low, high },
        }
    }

    #[test]
    fn parses_factors_and_designs() {
        assert_eq!(
            Factor::parse("channels.social.self_preference=0:2"),
            Ok(range("channels.social.self_preference", 0.0, 2.0))
        );
        assert_eq!(
            Factor::parse("a.b=1,2,4").map(|f| f.levels),
            Ok(Levels::List(vec![1.0, 2.0, 4.0]))
        );
        assert!(Factor::parse("a.b=2:1").is_err());
        assert!(Factor::parse("a.b=x:1").is_err());
        assert!(Factor::parse("a.b").is_err());
        assert_eq!(
            DesignKind::parse("sobol:256"),
            Ok(DesignKind::Sobol { base: 256 })
        );
        assert_eq!(
            DesignKind::parse("morris:10"),
            Ok(DesignKind::Morris {
                trajectories: 10,
                levels: 4
            })
        );
        assert!(matches!(
            DesignKind::parse("halton:4"),
            Err(DesignError::Unknown(_))
        ));
        assert!(DesignKind::parse("lhs:1").is_err());
    }

    #[test]
    fn grid_is_every_combination() {
        let d = Design::generate(
            DesignKind::Grid { points: 3 },
            vec![
                range("x", 0.0, 1.0),
                Factor::parse("y=5,7").unwrap_or_else(|e| panic!("{e}")),
            ],
            1,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d.len(), 6);
        assert_eq!(d.rows[0], vec![0.0, 5.0]);
        assert_eq!(d.rows[1], vec![0.0, 7.0]);
        assert_eq!(d.rows[5], vec![1.0, 7.0]);
    }

    #[test]
    fn latin_hypercube_has_one_point_per_stratum() {
        let n = 50;
        let d = Design::generate(
            DesignKind::Lhs { samples: n },
            vec![range("x", 0.0, 1.0), range("y", -1.0, 1.0)],
            3,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        for j in 0..2 {
            let mut strata: Vec<usize> = d
                .unit_rows
                .iter()
                .map(|r| (r[j] * n as f64) as usize)
                .collect();
            strata.sort();
            assert_eq!(strata, (0..n).collect::<Vec<_>>());
        }
        assert!(d.rows.iter().all(|r| (-1.0..=1.0).contains(&r[1])));
    }

    #[test]
    fn morris_steps_change_one_factor_by_delta() {
        let k = 4;
        let d = Design::generate(
            DesignKind::Morris {
                trajectories: 10,
                levels: 4,
            },
            (0..k).map(|i| range(&format!("f{i}"), 0.0, 10.0)).collect(),
            9,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d.len(), 10 * (k + 1));
        for t in 0..10 {
            let path = &d.unit_rows[t * (k + 1)..(t + 1) * (k + 1)];
            let mut moved = vec![0; k];
            for w in path.windows(2) {
                let changed: Vec<usize> = (0..k).filter(|&j| w[0][j] != w[1][j]).collect();
                assert_eq!(changed.len(), 1);
                let j = changed[0];
                assert!(((w[1][j] - w[0][j]).abs() - 2.0 / 3.0).abs() < 1e-12);
                assert!((0.0..=1.0).contains(&w[1][j]));
                moved[j] += 1;
            }
            assert_eq!(moved, vec![1; k]);
        }
    }

    #[test]
    fn saltelli_rows_mix_a_and_b_one_column_at_a_time() {
        let k = 3;
        let d = Design::generate(
            DesignKind::Sobol { base: 8 },
            (0..k).map(|i| range(&format!("f{i}"), 0.0, 1.0)).collect(),
            5,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d.len(), 8 * (k + 2));
        for j in 0..8 {
            let block = &d.unit_rows[j * (k + 2)..(j + 1) * (k + 2)];
            let (a, b) = (&block[0], &block[k + 1]);
            for i in 0..k {
                for c in 0..k {
                    assert_eq!(block[1 + i][c], if c == i { b[c] } else { a[c] });
                }
            }
        }
    }
}
