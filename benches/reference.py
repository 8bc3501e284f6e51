#!/usr/bin/env python3
"""The shopping step of pasar written the obvious way in pure Python, for
docs/PERFORMANCE.md's comparison: the same decisions per purchase attempt as
the Rust model on the baseline (a category draw, a channel logit draw, about
20 consideration-set positions drawn with a geometric position bias, about
20 utilities each with a logarithm of the relative price and a Gumbel draw,
an argmax with the outside option, a sold-out check and the sale), at a
tenth of the baseline sample: 4,000 UMKM and 2,000 consumers, 3 channels,
6 categories. It is not the model (no accounting, adaptation or entry, and
its numbers are not pasar's); it measures what an interpreted
implementation of the same hot loop costs.

    python3 benches/reference.py [ticks]

prints purchase decisions per second (the best of the ticks).
"""

import bisect
import math
import random
import sys
import time

SHARES = [0.29, 0.19, 0.19, 0.15, 0.15, 0.03]
REF_PRICE = [120000, 70000, 90000, 150000, 50000, 80000]
# (name, affinity, attention L, consideration K, offline)
CHANNELS = [("offline", 0.0, 1.0, 5, True), ("marketplace", -0.2, 15.0, 20, False),
            ("social", -5.0, 6.0, 10, False)]
OUTSIDE_UTILITY = 0.0
HABIT_SD = 1.0


def population(rng, n_sellers, n_consumers):
    cumulative = []
    acc = 0.0
    for s in SHARES:
        acc += s
        cumulative.append(acc)
    sellers = []
    for j in range(n_sellers):
        c = min(bisect.bisect_right(cumulative, rng.random() * acc), len(SHARES) - 1)
        price = REF_PRICE[c] * math.exp(rng.gauss(0.0, 0.3))
        sellers.append({
            "category": c,
            "price": price,
            "quality": rng.gauss(0.0, 1.0),
            "domestic": rng.random() < 0.6,
            "capacity": max(1, int(15 * math.exp(rng.gauss(0.0, 0.8)) / 4)),
            "online": rng.random() < 0.5,
            "social": rng.random() < 0.2,
        })
    consumers = []
    for _ in range(n_consumers):
        consumers.append({
            "alpha": 2.0 * math.exp(0.5 * rng.gauss(0.0, 1.0)),
            "beta": rng.gauss(0.5, 0.5),
            "lambda": max(0.0, rng.gauss(0.3, 0.3)),
            "rate": rng.gammavariate(2.0, 0.75),
            "habits": [aff + HABIT_SD * rng.gauss(0.0, 1.0) for (_, aff, _, _, _) in CHANNELS],
        })
    return cumulative, sellers, consumers


def rank(rng, sellers):
    """Lists of seller indices per (channel, category), best first."""
    lists = {}
    for k, (name, _, _, _, offline) in enumerate(CHANNELS):
        for c in range(len(SHARES)):
            members = [j for j, s in enumerate(sellers) if s["category"] == c and (
                offline or (name == "marketplace" and s["online"]) or (name == "social" and s["social"]))]
            if not offline:
                members.sort(key=lambda j: -(-math.log(sellers[j]["price"] / REF_PRICE[c])
                                            + sellers[j]["quality"] + rng.gauss(0.0, 0.5)))
            lists[(k, c)] = members
    return lists


def poisson(rng, mean):
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def positions(rng, n, size, attention, offline):
    if size >= n:
        return list(range(n))
    if offline or attention <= 1.0:
        return rng.sample(range(n), size)
    q = 1.0 - 1.0 / attention
    mass = 1.0 - q ** n
    taken = set()
    out = []
    while len(out) < size:
        r = min(int(math.log(1.0 - rng.random() * mass) / math.log(q)), n - 1)
        if r not in taken:
            taken.add(r)
            out.append(r)
    return out


def tick(rng, cumulative, sellers, consumers, lists):
    remaining = [s["capacity"] for s in sellers]
    order = list(range(len(consumers)))
    rng.shuffle(order)
    decisions = 0
    for i in order:
        consumer = consumers[i]
        for _ in range(poisson(rng, consumer["rate"])):
            c = min(bisect.bisect_right(cumulative, rng.random() * cumulative[-1]), len(SHARES) - 1)
            offered = [k for k in range(len(CHANNELS)) if lists[(k, c)]]
            if not offered:
                continue
            weights = [math.exp(consumer["habits"][k]) for k in offered]
            k = rng.choices(offered, weights)[0]
            _, _, attention, consideration, offline = CHANNELS[k]
            bucket = lists[(k, c)]
            decisions += 1
            best, best_utility = None, OUTSIDE_UTILITY - math.log(-math.log(rng.random()))
            for r in positions(rng, len(bucket), consideration, attention, offline):
                j = bucket[r]
                if remaining[j] == 0:
                    continue
                s = sellers[j]
                utility = (consumer["beta"] * s["quality"]
                           - consumer["alpha"] * math.log(s["price"] / REF_PRICE[c])
                           + (consumer["lambda"] if s["domestic"] else 0.0)
                           - math.log(-math.log(rng.random())))
                if utility > best_utility:
                    best, best_utility = j, utility
            if best is not None:
                remaining[best] -= 1
    return decisions


def main():
    ticks = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    rng = random.Random(20231004)
    cumulative, sellers, consumers = population(rng, 4000, 2000)
    best = 0.0
    for _ in range(ticks):
        lists = rank(rng, sellers)
        start = time.perf_counter()
        decisions = tick(rng, cumulative, sellers, consumers, lists)
        seconds = time.perf_counter() - start
        best = max(best, decisions / seconds)
    print(f"python reference: {best:.0f} purchase decisions per second (best of {ticks} ticks)")


if __name__ == "__main__":
    main()
