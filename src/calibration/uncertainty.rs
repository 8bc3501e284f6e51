//! The fitted parameters' uncertainty in a forecast.
//!
//! A calibration leaves its estimates and their SMM covariance V
//! (`parameters.csv`, `covariance.csv`; see [`super::covariance`]). A
//! forecast with parameter uncertainty draws S parameter vectors
//!
//! ```text
//! θ_s = θ₀ + L z_s,   L L' = V,   z_s ~ N(0, I),   kept if inside the ranges
//! ```
//!
//! (a normal truncated to the calibration's ranges, by rejection; θ₀ the
//! forecast scenario's own values), runs R replicates at each with seeds
//! of their own, and splits the variance of a quantity y over the S × R
//! realisations by the law of total variance,
//!
//! ```text
//! Var y = E_θ[Var(y | θ)] + Var_θ(E[y | θ])
//!       =   noise         +   parameters
//! ```
//!
//! estimated one-way-ANOVA style: noise is the pooled within-draw
//! variance, parameters the variance of the draw means less the noise
//! they still carry (noise / R), floored at zero.

use super::smm::FreeParam;
use crate::analysis::stats::t_quantile;
use crate::dist::standard_normal;
use rand::SeedableRng;
use std::path::{Path, PathBuf};

/// What can be wrong with a calibration's parameters and covariance.
#[derive(Debug, thiserror::Error)]
pub enum UncertaintyError {
    #[error(transparent)]
    Read(#[from] crate::input::InputError),
    #[error("{}, {place}: {message}\n  help: {help}", path.display())]
    Invalid {
        path: PathBuf,
        place: String,
        message: String,
        help: String,
    },
    #[error(
        "the scenario has no number at `{path}`, a parameter of {}\n  help: forecast with the scenario the calibration fitted (or one that extends it)",
        file.display()
    )]
    NotInScenario { path: String, file: PathBuf },
    #[error(
        "only {accepted} of {tried} draws of the parameters fell inside the calibration's ranges\n  help: the covariance reaches far outside the ranges; widen the ranges of the calibration's --free and refit, or forecast without --parameters"
    )]
    Truncation { accepted: usize, tried: usize },
    #[error(
        "the scenario's {path} is {value}, outside the range {low} to {high} the calibration in {} fitted it in\n  help: forecast with values inside the ranges (the draws are a normal truncated to them), or calibrate over a wider range",
        file.display()
    )]
    CentreOutside {
        path: String,
        value: f64,
        low: f64,
        high: f64,
        file: PathBuf,
    },
}

/// One fitted parameter as the calibration reported it.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedParameter {
    /// The path and the range it was fitted in.
    pub free: FreeParam,
    pub estimate: f64,
    /// False where no fitted moment moves it: it is held at the scenario's
    /// value in every draw.
    pub identified: bool,
}

/// A calibration's parameters and covariance.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedParameters {
    pub parameters: Vec<FittedParameter>,
    /// k × k, row-major, in the order of `parameters` (NaN where a
    /// parameter is not identified).
    pub covariance: Vec<f64>,
    /// The files it was read from (for messages and the manifest).
    pub files: [PathBuf; 2],
}

impl FittedParameters {
    /// `parameters.csv` and `covariance.csv` of a `pasar calibrate` folder.
    pub fn load(folder: &Path) -> Result<FittedParameters, UncertaintyError> {
        let files = [folder.join("parameters.csv"), folder.join("covariance.csv")];
        let read = |path: &PathBuf| {
            crate::input::read_text_capped(path, crate::input::caps::PARAMETERS_CSV)
        };
        let (parameters, covariance) = (read(&files[0])?, read(&files[1])?);
        FittedParameters::parse(&parameters, &covariance, files)
    }

    /// The two files' texts (`files` names them in messages).
    pub fn parse(
        parameters_csv: &str,
        covariance_csv: &str,
        files: [PathBuf; 2],
    ) -> Result<FittedParameters, UncertaintyError> {
        let parameters = parse_parameters(parameters_csv, &files[0])?;
        let covariance = parse_covariance(covariance_csv, &files[1], &parameters)?;
        Ok(FittedParameters {
            parameters,
            covariance,
            files,
        })
    }

    /// The parameters with a standard error (those the draws move).
    pub fn identified(&self) -> Vec<usize> {
        (0..self.parameters.len())
            .filter(|&i| self.parameters[i].identified)
            .collect()
    }

    /// A sampler centred on `centre` (the forecast scenario's values, in
    /// the order of `parameters`).
    pub fn sampler(&self, centre: Vec<f64>) -> Result<ParameterSampler, UncertaintyError> {
        let moved = self.identified();
        for &i in &moved {
            let f = &self.parameters[i].free;
            if !(f.low..=f.high).contains(&centre[i]) {
                return Err(UncertaintyError::CentreOutside {
                    path: f.path.clone(),
                    value: centre[i],
                    low: f.low,
                    high: f.high,
                    file: self.files[0].clone(),
                });
            }
        }
        let k = self.parameters.len();
        let sub: Vec<f64> = moved
            .iter()
            .flat_map(|&a| moved.iter().map(move |&b| (a, b)))
            .map(|(a, b)| self.covariance[a * k + b])
            .collect();
        let factor = cholesky(&sub, moved.len()).map_err(|row| UncertaintyError::Invalid {
            path: self.files[1].clone(),
            place: format!("the covariance of {}", self.parameters[moved[row]].free.path),
            message: "the covariance matrix is not positive definite".into(),
            help: "write it with pasar calibrate, which reports a singular covariance as not identified".into(),
        })?;
        Ok(ParameterSampler {
            ranges: self.parameters.iter().map(|p| p.free.clone()).collect(),
            centre,
            moved,
            factor,
        })
    }
}

/// Draws of the parameters: a normal truncated to the ranges.
#[derive(Debug, Clone, PartialEq)]
pub struct ParameterSampler {
    ranges: Vec<FreeParam>,
    centre: Vec<f64>,
    /// Which parameters the draws move (the identified ones).
    moved: Vec<usize>,
    /// Lower Cholesky factor of their covariance, row-major.
    factor: Vec<f64>,
}

/// Most tries for each draw kept before giving up on the truncation.
const TRIES_PER_DRAW: usize = 1000;

impl ParameterSampler {
    /// `n` parameter vectors from the stream seeded by `seed`, each as a
    /// run uses it (integer parameters rounded). The same seed gives the
    /// same draws on every machine (PCG-64 and the portable normal of
    /// [`crate::dist`]).
    pub fn draws(&self, n: usize, seed: u64) -> Result<Vec<Vec<f64>>, UncertaintyError> {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed ^ 0xd7a3_5000_0000_0000);
        let m = self.moved.len();
        let mut out = Vec::with_capacity(n);
        let mut tried = 0;
        while out.len() < n {
            if tried >= TRIES_PER_DRAW * n {
                return Err(UncertaintyError::Truncation {
                    accepted: out.len(),
                    tried,
                });
            }
            tried += 1;
            let z: Vec<f64> = (0..m).map(|_| standard_normal(&mut rng)).collect();
            let mut theta = self.centre.clone();
            for (row, &i) in self.moved.iter().enumerate() {
                theta[i] += (0..=row)
                    .map(|c| self.factor[row * m + c] * z[c])
                    .sum::<f64>();
            }
            let inside = self
                .moved
                .iter()
                .all(|&i| (self.ranges[i].low..=self.ranges[i].high).contains(&theta[i]));
            if inside {
                out.push(
                    theta
                        .iter()
                        .zip(&self.ranges)
                        .map(|(&v, f)| f.used(v))
                        .collect(),
                );
            }
        }
        Ok(out)
    }

    /// Each parameter's `path=value` in draw `theta` (those not drawn at
    /// the scenario's value).
    pub fn assignments(&self, theta: &[f64]) -> Vec<String> {
        self.ranges
            .iter()
            .zip(theta)
            .map(|(f, &v)| f.assignment(v))
            .collect()
    }

    /// The `--set` arguments that put draw `theta` into the scenario: the
    /// drawn parameters only (the others keep the scenario's value).
    pub fn sets(&self, theta: &[f64]) -> Vec<String> {
        self.moved
            .iter()
            .map(|&i| self.ranges[i].assignment(theta[i]))
            .collect()
    }

    /// The paths the draws set.
    pub fn drawn_paths(&self) -> Vec<&str> {
        self.moved
            .iter()
            .map(|&i| self.ranges[i].path.as_str())
            .collect()
    }
}

/// A forecast quantity's variance split into simulation noise and the
/// parameters' uncertainty.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VarianceSplit {
    /// E_θ[Var(y | θ)]: the pooled within-draw variance.
    pub noise: f64,
    /// Var_θ(E[y | θ]): the draw means' variance less noise / R, ≥ 0.
    pub parameters: f64,
    /// The mean of the draw means and the 95% interval of that mean
    /// (Student t over the draws, whose seeds are independent).
    pub mean: f64,
    pub mean_ci95: (f64, f64),
    /// Draws with a value.
    pub draws: usize,
}

impl VarianceSplit {
    /// From the quantity's values by draw, then replicate (non-finite
    /// values left out); `None` with fewer than two draws holding two
    /// values each.
    pub fn of(by_draw: &[Vec<f64>]) -> Option<VarianceSplit> {
        let groups = usable_draws(by_draw);
        let s = groups.len();
        if s < 2 {
            return None;
        }
        let means: Vec<f64> = groups.iter().map(|g| average(g)).collect();
        let (mut squares, mut dof, mut inverse_n) = (0.0, 0.0, 0.0);
        for (g, m) in groups.iter().zip(&means) {
            squares += g.iter().map(|x| (x - m).powi(2)).sum::<f64>();
            dof += (g.len() - 1) as f64;
            inverse_n += 1.0 / g.len() as f64;
        }
        let noise = squares / dof;
        let grand = average(&means);
        let between = means.iter().map(|m| (m - grand).powi(2)).sum::<f64>() / (s - 1) as f64;
        let half = t_quantile(0.975, (s - 1) as f64) * (between / s as f64).sqrt();
        Some(VarianceSplit {
            noise,
            parameters: (between - noise * inverse_n / s as f64).max(0.0),
            mean: grand,
            mean_ci95: (grand - half, grand + half),
            draws: s,
        })
    }

    pub fn total(&self) -> f64 {
        self.noise + self.parameters
    }

    /// The parameters' share of the variance of one realisation, 0 to 1.
    pub fn parameter_share(&self) -> f64 {
        let total = self.total();
        if total > 0.0 {
            self.parameters / total
        } else {
            0.0
        }
    }
}

/// The 2.5% and 97.5% points of `values` (non-finite left out), linearly
/// interpolated between order statistics (R's default, type 7).
pub fn central95(values: &[f64]) -> Option<(f64, f64)> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.len() < 2 {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let at = |p: f64| {
        let h = p * (v.len() - 1) as f64;
        let (i, frac) = (h.floor() as usize, h - h.floor());
        let next = v[(i + 1).min(v.len() - 1)];
        v[i] + frac * (next - v[i])
    };
    Some((at(0.025), at(0.975)))
}

fn average(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// The finite values of each draw that has two or more: the draws a
/// forecast's mean, interval and split all rest on.
pub fn usable_draws(by_draw: &[Vec<f64>]) -> Vec<Vec<f64>> {
    by_draw
        .iter()
        .map(|v| {
            v.iter()
                .copied()
                .filter(|x| x.is_finite())
                .collect::<Vec<_>>()
        })
        .filter(|v| v.len() >= 2)
        .collect()
}

/// Lower Cholesky factor of the n × n row-major `a`; `Err(row)` where a
/// pivot is not positive (not positive definite, or not finite).
pub fn cholesky(a: &[f64], n: usize) -> Result<Vec<f64>, usize> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = (0..j).map(|c| l[i * n + c] * l[j * n + c]).sum();
            let v = a[i * n + j] - s;
            if i == j {
                if !(v > 0.0 && v.is_finite()) {
                    return Err(i);
                }
                l[i * n + i] = v.sqrt();
            } else {
                l[i * n + j] = v / l[j * n + j];
            }
        }
    }
    Ok(l)
}

fn invalid(path: &Path, place: String, message: String, help: &str) -> UncertaintyError {
    UncertaintyError::Invalid {
        path: path.to_path_buf(),
        place,
        message,
        help: help.to_string(),
    }
}

const REWRITE: &str =
    "use the folder pasar calibrate wrote, unedited, or run the calibration again";

/// The rows of a CSV text with its header, each as (line, fields by
/// column name); the named columns must be present.
fn records(
    text: &str,
    path: &Path,
    columns: &[&str],
) -> Result<Vec<(u64, Vec<String>)>, UncertaintyError> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| invalid(path, "the header".into(), e.to_string(), REWRITE))?
        .clone();
    let index: Vec<usize> = columns
        .iter()
        .map(|c| {
            header.iter().position(|h| h == *c).ok_or_else(|| {
                invalid(
                    path,
                    "the header".into(),
                    format!("there is no column `{c}`"),
                    REWRITE,
                )
            })
        })
        .collect::<Result<_, _>>()?;
    reader
        .records()
        .map(|row| {
            let row = row.map_err(|e| invalid(path, "a row".into(), e.to_string(), REWRITE))?;
            let line = row.position().map_or(0, |p| p.line());
            Ok((
                line,
                index
                    .iter()
                    .map(|&i| row.get(i).unwrap_or("").to_string())
                    .collect(),
            ))
        })
        .collect()
}

fn parse_number(text: &str, path: &Path, line: u64, column: &str) -> Result<f64, UncertaintyError> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| {
            invalid(
                path,
                format!("line {line}, column {column}"),
                format!("`{text}` is not a number"),
                REWRITE,
            )
        })
}

fn parse_parameters(text: &str, path: &Path) -> Result<Vec<FittedParameter>, UncertaintyError> {
    let rows = records(
        text,
        path,
        &["parameter", "estimate", "low", "high", "identified"],
    )?;
    if rows.is_empty() {
        return Err(invalid(
            path,
            "the rows".into(),
            "there are no parameters".into(),
            REWRITE,
        ));
    }
    let mut out: Vec<FittedParameter> = Vec::new();
    for (line, f) in rows {
        let number = |i: usize, column: &str| parse_number(&f[i], path, line, column);
        let (estimate, low, high) = (
            number(1, "estimate")?,
            number(2, "low")?,
            number(3, "high")?,
        );
        let identified = match f[4].trim() {
            "true" => true,
            "false" => false,
            other => {
                return Err(invalid(
                    path,
                    format!("line {line}, column identified"),
                    format!("`{other}` is neither true nor false"),
                    REWRITE,
                ));
            }
        };
        if low >= high {
            return Err(invalid(
                path,
                format!("line {line}"),
                format!("the range {low} to {high} is empty"),
                REWRITE,
            ));
        }
        if out.iter().any(|p| p.free.path == f[0]) {
            return Err(invalid(
                path,
                format!("line {line}"),
                format!("`{}` is listed twice", f[0]),
                REWRITE,
            ));
        }
        out.push(FittedParameter {
            free: FreeParam {
                path: f[0].clone(),
                low,
                high,
            },
            estimate,
            identified,
        });
    }
    Ok(out)
}

fn parse_covariance(
    text: &str,
    path: &Path,
    parameters: &[FittedParameter],
) -> Result<Vec<f64>, UncertaintyError> {
    let k = parameters.len();
    let position = |name: &str, line: u64| {
        parameters
            .iter()
            .position(|p| p.free.path == name)
            .ok_or_else(|| {
                invalid(
                    path,
                    format!("line {line}"),
                    format!("`{name}` is not a parameter of parameters.csv"),
                    REWRITE,
                )
            })
    };
    let mut v = vec![f64::NAN; k * k];
    let mut seen = vec![false; k * k];
    for (line, f) in records(text, path, &["parameter_a", "parameter_b", "covariance"])? {
        let (a, b) = (position(&f[0], line)?, position(&f[1], line)?);
        if std::mem::replace(&mut seen[a * k + b], true) {
            return Err(invalid(
                path,
                format!("line {line}"),
                format!("the pair {} and {} is listed twice", f[0], f[1]),
                REWRITE,
            ));
        }
        if !(parameters[a].identified && parameters[b].identified) {
            continue;
        }
        v[a * k + b] = parse_number(&f[2], path, line, "covariance")?;
    }
    for a in (0..k).filter(|&a| parameters[a].identified) {
        for b in (0..k).filter(|&b| parameters[b].identified) {
            let pair = || {
                format!(
                    "the pair {} and {}",
                    parameters[a].free.path, parameters[b].free.path
                )
            };
            if v[a * k + b].is_nan() {
                return Err(invalid(
                    path,
                    pair(),
                    "the covariance of two identified parameters is missing".into(),
                    "pasar calibrate writes every pair; an empty covariance.csv means no combination was identified: forecast without --parameters",
                ));
            }
            if (v[a * k + b] - v[b * k + a]).abs()
                > 1e-9 * v[a * k + a].abs().max(v[b * k + b].abs())
            {
                return Err(invalid(
                    path,
                    pair(),
                    "the matrix is not symmetric".into(),
                    REWRITE,
                ));
            }
        }
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> [PathBuf; 2] {
        [
            PathBuf::from("p/parameters.csv"),
            PathBuf::from("p/covariance.csv"),
        ]
    }

    const PARAMETERS: &str = "parameter,estimate,standard_error,low95,high95,low,high,identified\n\
        a.x,1,0.1,,,0,2,true\n\
        a.y,5,0.5,,,0,10,true\n\
        a.z,3,,,,0,4,false\n";
    const COVARIANCE: &str = "parameter_a,parameter_b,covariance\n\
        a.x,a.x,0.01\na.x,a.y,0.03\na.x,a.z,\n\
        a.y,a.x,0.03\na.y,a.y,0.25\na.y,a.z,\n\
        a.z,a.x,\na.z,a.y,\na.z,a.z,\n";

    #[test]
    fn draws_have_the_covariance_and_hold_unidentified_parameters() {
        let fitted = FittedParameters::parse(PARAMETERS, COVARIANCE, files()).expect("valid");
        assert_eq!(fitted.identified(), vec![0, 1]);
        let sampler = fitted
            .sampler(vec![1.0, 5.0, 3.0])
            .expect("positive definite");
        let draws = sampler.draws(20_000, 7).expect("inside the ranges");
        let n = draws.len() as f64;
        let mean = |i: usize| draws.iter().map(|d| d[i]).sum::<f64>() / n;
        let (mx, my) = (mean(0), mean(1));
        let cov = |i: usize, j: usize, mi: f64, mj: f64| {
            draws.iter().map(|d| (d[i] - mi) * (d[j] - mj)).sum::<f64>() / (n - 1.0)
        };
        assert!(
            (mx - 1.0).abs() < 0.005 && (my - 5.0).abs() < 0.02,
            "{mx} {my}"
        );
        assert!((cov(0, 0, mx, mx) - 0.01).abs() < 0.0006);
        assert!((cov(1, 1, my, my) - 0.25).abs() < 0.015);
        assert!((cov(0, 1, mx, my) - 0.03).abs() < 0.003);
        assert!(draws.iter().all(|d| d[2] == 3.0));
        // Reproducible from the seed, different under another.
        assert_eq!(
            sampler.draws(5, 7).expect("a"),
            sampler.draws(5, 7).expect("b")
        );
        assert_ne!(
            sampler.draws(5, 7).expect("a"),
            sampler.draws(5, 8).expect("b")
        );
        assert_eq!(
            sampler.assignments(&draws[0])[2],
            "a.z=3.0".to_string(),
            "an assignment per parameter"
        );
    }

    #[test]
    fn draws_are_truncated_to_the_ranges() {
        let p = "parameter,estimate,low,high,identified\nb,0.1,0,1,true\n";
        let c = "parameter_a,parameter_b,covariance\nb,b,0.04\n";
        let fitted = FittedParameters::parse(p, c, files()).expect("valid");
        let draws = fitted
            .sampler(vec![0.1])
            .expect("pd")
            .draws(5000, 1)
            .expect("ok");
        assert!(draws.iter().all(|d| (0.0..=1.0).contains(&d[0])));
        // Without truncation a sixth of them would lie below zero.
        let low = draws.iter().filter(|d| d[0] < 0.05).count() as f64 / 5000.0;
        assert!(low > 0.1 && low < 0.4, "{low}");
        // A centre outside the range is refused; one inside whose normal
        // mostly lies outside: (almost) nothing is accepted.
        let outside = fitted.sampler(vec![5.0]);
        assert!(
            matches!(outside, Err(UncertaintyError::CentreOutside { .. })),
            "{outside:?}"
        );
        let p = "parameter,estimate,low,high,identified\nb,0.1,0,0.001,true\n";
        let c = "parameter_a,parameter_b,covariance\nb,b,1e6\n";
        let wide = FittedParameters::parse(p, c, files()).expect("valid");
        let far = wide.sampler(vec![0.0005]).expect("pd").draws(10, 1);
        assert!(
            matches!(far, Err(UncertaintyError::Truncation { .. })),
            "{far:?}"
        );
    }

    #[test]
    fn bad_files_are_refused_with_the_place() {
        let err = |p: &str, c: &str| {
            FittedParameters::parse(p, c, files())
                .and_then(|f| f.sampler(f.parameters.iter().map(|p| p.estimate).collect()))
                .expect_err("refused")
                .to_string()
        };
        let e = err("parameter,estimate,low,high\n", COVARIANCE);
        assert!(e.contains("no column `identified`"), "{e}");
        let e = err(&PARAMETERS.replace("1,0.1", "one,0.1"), COVARIANCE);
        assert!(
            e.contains("line 2, column estimate") && e.contains("`one`"),
            "{e}"
        );
        let e = err(PARAMETERS, &COVARIANCE.replace("a.x,a.y,0.03\n", ""));
        assert!(e.contains("is missing"), "{e}");
        let e = err(
            PARAMETERS,
            &COVARIANCE.replace("a.x,a.y,0.03", "a.x,a.y,0.3"),
        );
        assert!(e.contains("not symmetric"), "{e}");
        let e = err(PARAMETERS, &COVARIANCE.replace("0.03", "0.3"));
        assert!(
            e.contains("not positive definite") && e.contains("a.y"),
            "{e}"
        );
        let e = err(PARAMETERS, &format!("{COVARIANCE}a.x,a.x,100\n"));
        assert!(e.contains("listed twice") && e.contains("line 11"), "{e}");
        let e = err(PARAMETERS, &COVARIANCE.replace("a.z,a.z,", "a.w,a.z,"));
        assert!(e.contains("`a.w` is not a parameter"), "{e}");
    }

    #[test]
    fn the_split_recovers_known_variances() {
        // y = θ_s + e: θ with sd 2, e with sd 1; 400 draws of 5.
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(3);
        let by_draw: Vec<Vec<f64>> = (0..400)
            .map(|_| {
                let theta = 2.0 * standard_normal(&mut rng);
                (0..5).map(|_| theta + standard_normal(&mut rng)).collect()
            })
            .collect();
        let split = VarianceSplit::of(&by_draw).expect("enough");
        assert!((split.noise - 1.0).abs() < 0.1, "{split:?}");
        assert!((split.parameters - 4.0).abs() < 0.7, "{split:?}");
        assert!((split.parameter_share() - 0.8).abs() < 0.05);
        // No parameter effect: the share is about zero, never negative.
        let flat: Vec<Vec<f64>> = (0..400)
            .map(|_| (0..5).map(|_| standard_normal(&mut rng)).collect())
            .collect();
        let split = VarianceSplit::of(&flat).expect("enough");
        assert!(split.parameter_share() < 0.05, "{split:?}");
        assert!(VarianceSplit::of(&by_draw[..1]).is_none());
    }

    #[test]
    fn central95_interpolates_like_r() {
        let v: Vec<f64> = (1..=101).map(f64::from).collect();
        assert_eq!(central95(&v), Some((3.5, 98.5)));
        assert_eq!(central95(&[1.0]), None);
    }
}
