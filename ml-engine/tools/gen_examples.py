#!/usr/bin/env python3
"""Regenerates data/severity_examples.csv: composite score -> severity labels.

Labels follow the QRAP triage policy (CRITICAL >= 80, HIGH >= 60, MEDIUM >= 35,
LOW >= 15, else INFO) with a deterministic band of analyst disagreement of
+-3 points around each boundary, so the calibration model has to learn the
boundaries rather than copy them. Synthetic, reviewed by hand; deterministic.
"""
import os, random
rng = random.Random(8547)
bounds = [(80, "CRITICAL"), (60, "HIGH"), (35, "MEDIUM"), (15, "LOW")]
def label(s):
    for b, l in bounds:
        if s >= b:
            return l
    return "INFO"
rows = []
for i in range(600):
    s = round(rng.uniform(0, 100), 2)
    l = label(s)
    # disagreement near a boundary: another analyst would pick the neighbour
    for b, _ in bounds:
        if abs(s - b) < 3 and rng.random() < 0.25:
            l = label(b + 1 if s < b else b - 1)
    rows.append((s, l))
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "severity_examples.csv")
with open(out, "w") as f:
    f.write("score,severity\n")
    for s, l in rows:
        f.write(f"{s},{l}\n")
print(len(rows))
