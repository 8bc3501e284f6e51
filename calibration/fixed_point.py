#!/usr/bin/env python3
"""Fixed-point steps for the levels and shares of the baseline (pasar 0.5).

docs/CALIBRATION.md, "Levels and adoption": the first stage of the 0.5 fit.
Each step has pasar evaluate a scenario that extends scenarios/baseline.toml
with the current values against calibration/targets.toml (`pasar calibrate`
without --free, 3 replicates; its fit.csv holds each target's moment), and
moves:

- the purchase rate by the ratio of BI's 2022 order count to the model's;
- the marketplaces' (and offline) basket and TikTok Shop's by the ratio of
  the observed order value to the model's;
- each marketplace affinity by lambda * ln(target share / model share),
  plus a shift common to every online channel toward an online share of
  retail of 0.20;
- the UMKM fixed cost by the square root of the ratio of exit rates;
- the UMKM initial social share by the ratio of seller counts to the 0.7.

The diffusion of TikTok Shop (innovation, imitation, potential, affinity) is
held at the values given: `pasar calibrate` fits it (second stage).

    python3 calibration/fixed_point.py STATE.json STEPS [PASAR]

STATE.json holds the values (keys below) and is rewritten after each step.
Needs Python 3.11 (tomllib) and pandas.
"""

import json
import math
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
MARKETPLACES = ["shopee", "tokopedia", "lazada", "bukalapak", "blibli"]
TARGETS = tomllib.loads((ROOT / "calibration/targets.toml").read_text())["targets"]
LAMBDA = 0.5  # the marketplace nest's dissimilarity


def scenario(st):
    """A scenario file extending the baseline with the values of `st`."""
    lines = [
        f'extends = "{ROOT / "scenarios/baseline.toml"}"',
        "[population.consumers]",
        f"purchase_rate_mean = {st['rate']!r}",
        "[population.umkm]",
        f"fixed_cost_idr = {st['fixed']!r}",
        f"initial_social_share = {st['iss']!r}",
        "[channels.offline]",
        f"units_per_order = {st['b_mp']!r}",
        "[channels.tiktok_shop]",
        f"affinity = {st['aff_tt']!r}",
        f"units_per_order = {st['b_tt']!r}",
        "[channels.tiktok_shop.adoption]",
        "launch = 2021-04-17",
        f"innovation = {st['p']!r}",
        f"imitation = {st['q']!r}",
        f"potential = {st['m']!r}",
    ]
    for k in MARKETPLACES:
        lines += [f"[channels.{k}]", f"affinity = {st['aff_' + k]!r}", f"units_per_order = {st['b_mp']!r}"]
    return "\n".join(lines) + "\n"


def step(st, pasar, replicates=3):
    """One step: pasar evaluates the current values against the targets
    (`pasar calibrate` without --free: fit.csv holds each target's moment
    as calibration/targets.toml defines it) and the values move."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "step.toml"
        path.write_text(scenario(st))
        out = Path(tmp) / "fit"
        subprocess.run(
            [pasar, "calibrate", str(path), "--targets", str(ROOT / "calibration/targets.toml"),
             "--replicates", str(replicates), "--out", str(out), "--quiet"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        fit = pd.read_csv(out / "fit.csv")
        m = dict(zip(fit.target, fit.simulated_mean))
    logit = lambda x: math.log(x / (1 - x))
    st["rate"] *= (66.93e6 / m["online_orders_2022"]) ** 0.9
    st["b_mp"] *= (136476 / m["online_aov_2022"]) ** 0.9
    st["b_tt"] *= (73746 / m["social_aov_2023sep"]) ** 0.9
    shift = 0.7 * (logit(0.20) - logit(m["online_share_retail_2022"]))
    for k in MARKETPLACES:
        target = next(t["observed"] for t in TARGETS if t["id"] == f"{k}_share_online_2022")
        st["aff_" + k] += LAMBDA * math.log(target / m[f"{k}_share_online_2022"]) + shift
    st["aff_tt"] += shift
    st["fixed"] *= (0.001577 / m["umkm_exit_rate_2022"]) ** 0.5
    st["iss"] *= (2.0e6 / m["social_sellers_2023jun"]) ** 0.7
    return m


def main():
    state, steps = Path(sys.argv[1]), int(sys.argv[2])
    pasar = sys.argv[3] if len(sys.argv) > 3 else str(ROOT / "target/release/pasar")
    st = json.loads(state.read_text())
    for n in range(steps):
        m = step(st, pasar)
        print(f"step {n}: " + ", ".join(f"{k} {v:.4g}" for k, v in m.items()), flush=True)
        state.write_text(json.dumps(st, indent=1))


if __name__ == "__main__":
    main()
