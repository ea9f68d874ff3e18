# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # The signal lab
#
# What does an initialization do to a network's signal? This notebook builds small dense
# networks with `initlab.MLP`, measures every layer with `probe`, and repeats the measurement
# over independent weight draws with `trials`. Open it in Jupyter (jupytext reads the
# `# %%` cells) or run it as a script: `MPLBACKEND=Agg python examples/signal_lab.py`.
#
# The set-up follows the classic blog experiments: a batch of 2000 (here 500, to be quick)
# standard-normal inputs of width 800 through nine layers 800 -> 750 -> ... -> 350, and
# standard-normal noise G backpropagated from the top (the loss is L = sum(G * h)).

# %%
import numpy as np

import initlab
from initlab.engine import run_demo

try:
    import matplotlib  # noqa: F401

    HAVE_MPL = True
except ImportError:  # the plots need the `plot` extra: pip install "initlab[plot]"
    HAVE_MPL = False

widths = [800 - 50 * i for i in range(10)]
gen = np.random.default_rng(0)
x = gen.standard_normal((500, 800), dtype=np.float32)

# %% [markdown]
# ## One probe
#
# tanh with weights drawn from N(0, 0.01^2): the activation std shrinks by about x0.25 per
# layer, and the gradient reaching the input vanishes with it.

# %%
small = {"class_name": "Normal", "config": {"std": 0.01}}
net = initlab.MLP(widths, activation="tanh", init=small, rng=gen)
report = net.probe(x, rng=gen)
print(report.table())
print(report.verdict())

# %%
# In Jupyter the report renders as an HTML table, and `report.plot()` draws the classic figure:
# per-layer histograms on fixed edges, then std and gradient variance against depth.
if HAVE_MPL:
    fig = report.plot()
    fig  # noqa: B018 - the last expression of a cell is displayed in Jupyter

# %% [markdown]
# ## Four initializations side by side
#
# The verdict is computed from the measurements (`initlab.engine.verdict`): vanishing,
# saturating, exploding or healthy, with the layer where it happens.

# %%
xavier = {"class_name": "VarianceScaling",
          "config": {"scale": 1.0, "mode": "fan_in", "distribution": "normal"}}
cases = [("tanh", small), ("tanh", "normal"), ("tanh", xavier), ("relu", xavier),
         ("relu", "he_normal")]
for act, init in cases:
    rep = initlab.MLP(widths, activation=act, init=init, rng=1).probe(x, rng=2)
    v = rep.verdict()
    name = init if isinstance(init, str) else init["class_name"]
    print(f"{act:5s} {name:16s} last-layer std {rep['act_std'][-1]:9.3g}   {v.kind}")

# %% [markdown]
# ## Is it one seed's accident? `trials`
#
# `trials` redraws the weights n times (the network itself is not changed) and gives each
# statistic's mean and a 95 % confidence interval across draws.

# %%
relu_xavier = initlab.MLP(widths, activation="relu", init=xavier)
trials = relu_xavier.trials(x[:200], 8, rng=3)
print(trials.table(["act_std", "zero_frac"]))
low, high = trials.interval("act_std")
print("layer-9 std: mean", round(float(trials.mean("act_std")[-1]), 4),
      "95% CI", (round(float(low[-1]), 4), round(float(high[-1]), 4)))
if HAVE_MPL:
    fig = trials.plot()

# %% [markdown]
# ## Notebook helpers
#
# `to_records()` gives one dict per layer (ready for `pandas.DataFrame`), `to_json()` strict
# JSON, and `initlab.stats` describes any array with float64, overflow-safe statistics.

# %%
records = report.to_records()
print(records[0]["layer"], round(records[0]["act_std"], 4), sorted(records[0])[:4])
big = np.random.default_rng(4).standard_normal(10_000).astype(np.float32) * np.float32(1e25)
print("describe std:", f"{initlab.stats.describe(big).std:.3g}")
h = initlab.stats.histogram(np.tanh(x[:, 0] * 3), bins=8, range=(-1, 1))
print("histogram:", h.counts.tolist())

# %% [markdown]
# ## The prediction beside the measurement
#
# Every report carries the mean-field prediction of its measurements (`initlab.theory`, from
# the network's realized weights, this input and this upstream gradient): `table()` shows it in
# a `(pred)` column after each measured one, `plot()` draws it dashed through the measured
# points, and the verdict cites it. For ReLU with He weights the predicted activation std is
# sqrt(1 - 1/pi) ~ 0.8257 at every layer.

# %%
he = initlab.MLP(widths, activation="relu", init="he_normal", rng=5).probe(x, rng=6)
print(he.table(["layer", "act_std", "zero_frac", "dh_in_var"]))
print("closed form:", round((1 - 1 / np.pi) ** 0.5, 4), "report:", he["act_std_pred"][:3].round(4))
print(he.verdict())

# %% [markdown]
# Any other per-layer column can be attached too; one that `predicts` a measured column is
# shown beside it and drawn dashed. ReLU zeroes half of its inputs:

# %%
he.add_column("zero_half", np.full(he.depth, 0.5), predicts="zero_frac")
print(he.table(["layer", "zero_frac"], layers=[1, 5, 9]))

# %% [markdown]
# ## Several initializations side by side
#
# `initlab.compare` probes one architecture under each initialization, on the same input: one
# table row per initialization and layer, and `plot()` overlays them (predictions dashed).

# %%
comparison = initlab.compare({"Xavier": "xavier_normal", "He": "he_normal"}, widths, x,
                             activation="relu", rng=10)
print(comparison.table(layers=[1, 9]))
if HAVE_MPL:
    fig = comparison.plot()
    fig  # noqa: B018

# %% [markdown]
# ## Overflow is a result
#
# 100 linear layers of width 256 with N(0, 1) weights: the std grows x16 per layer and float32
# overflows at layer 32 (float64 would reach 1e120 at layer 100 without overflowing).

# %%
deep = initlab.MLP([256] * 101, activation="linear", init="normal", rng=7)
deep_rep = deep.probe(np.random.default_rng(8).standard_normal((16, 256)), rng=9)
print("first non-finite layer:", deep_rep.first_nonfinite_layer)
print(deep_rep.table(["layer", "act_std", "nonfinite_frac"], layers=[1, 10, 30, 31, 32, 33]))

# %% [markdown]
# ## The classic experiments
#
# `initlab demo` (or `run_demo`) runs all of them; here only two, at a smaller batch.

# %%
results = run_demo(["E2", "E7e"], batch=500)
