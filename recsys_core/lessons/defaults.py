"""The lessons' default data and settings, chosen by measurement so that every control shows its effect.

A learner learns by moving a slider and seeing what it does. At the old defaults (10,000 ratings,
8 per user) most sliders did nothing visible: rank 1, 10 and 64 all reached validation RMSE 1.03,
and item neighbours shared a genre barely more than chance. These constants are the settings at
which each control of lessons 1-3 changes what the learner sees by a clear margin. Every number in
a comment was measured over data seeds 0, 1 and 2 (``synthetic(1000, 500, DEFAULT_RATINGS, seed)``,
the app's ``holdout_split(ratings, 0.2, seed=0)``, model seed 0) and is given as min..max over the
seeds; ``tests/unit/test_lesson_defaults.py`` measures each claim again with margins of at most
about half the smallest effect, and ``SWEEPS.md`` has the grids that led here.

The synthetic catalogue's rated pairs are now drawn by the Gumbel top-k trick (the same distribution
as before, other draws per seed). The figures ``python -m bench.lesson_effects`` prints (each
lesson's default and its main controls) were re-measured on the new draws and are marked [new]
below; the finer options beside them were measured on the earlier draws and moved by about as
much as the [new] ones did (0.005 RMSE, 2 CTR points).
"""

from __future__ import annotations

from dataclasses import replace

from recsys_core.training.mf import MFConfig
from recsys_core.training.neural import NeuralConfig

# One sidebar default for lessons 1-3: 50,000 ratings, 40 per user on average (1000 users x 500
# items). At 10,000 or 20,000 ratings (seed 0) no lr/L2/epochs setting made rank 10 0.04 better than
# rank 1, and at 10,000 that gap appeared only where both were worse than the best run; at
# 50,000 every criterion below holds with room to spare. 100,000 also works, but runs twice as long.
DEFAULT_RATINGS = 50_000

# Lesson 1, matrix factorization basics: the seed's rank 10, trained with per-rating SGD.
# [new] Validation RMSE at these settings 0.903..0.909 (earlier draws 0.908..0.913; guessing the mean:
#   1.115..1.123). Against it: [new] rank 1 +0.084..+0.090 worse, rank 5 +0.018..+0.021, rank 64
#   +0.004..+0.005 (rank 20 -0.006..+0.002); [new] L2 0 +0.061..+0.066 worse (0.001: +0.057..+0.068),
#   [new] L2 1.0 +0.118..+0.130 worse
#     (L2 0.05 +0.009..+0.013 and 0.2 +0.073..+0.076: 0.1 sits at the bottom of the U);
#   learning rate 0.005 (4x smaller) +0.081..+0.086 worse, its training loss falling every epoch and
#     still falling 1.9-2.5% over the last 3 epochs (it reaches ~0.92 after 40 epochs: not converged);
#     0.01 +0.028..+0.036; 0.05 +0.030..+0.037 (noisy); 0.1 +0.155..+0.164; 0.2 turns NaN in epoch 1;
#   7 epochs (half) +0.044..+0.051 worse; 30 epochs -0.004..+0.003 (the run has levelled off);
#   batch size 32 vs 1024: 0.0008..0.0016 apart (small by design: the learning rate is per rating),
#     but a larger batch blows up at a smaller rate (1024 diverges at 0.05, 512 at 0.1, 256 at ~0.125);
#   Adam at the same learning rate -0.001..+0.004 (about the same; Adam 0.01 is 0.004..0.007 better),
#     and an Adam epoch costs ~6x an SGD epoch (27 vs 4 ms on 2 cores).
# 15 epochs of ~4 ms each: the watch pace, not the compute, decides how long the learner watches.
MF_BASICS = MFConfig(k=10, learning_rate=0.02, l2=0.1, epochs=15, batch_size=256, optimizer="sgd")

# The first SGD learning-rate option above the default that diverges: NaN within epoch 1, every seed.
MF_BASICS_DIVERGING_LEARNING_RATE = 0.2

# "Watch it blow up" (issue 11). With SGD no learning rate robustly shows the loss growing for
# several epochs before it blows up: up to 0.1175 every seed trains (from 0.115 on the loss hovers
# just under its untrained value), from 0.12 to 0.13 some or all seeds blow up after 2-12 epochs of
# a level or jagged loss (never 3 clearly rising epochs on every seed), and from 0.1325 every seed
# turns NaN in epoch 1 or 2. An SGD step on a factor is lr x error x the other factor, so once the
# factors are large enough for a step to overshoot, the overshoot makes them larger still (largest
# user-factor norm after epoch 1, seed 0: 0.5 at 0.02, 0.9 at 0.1, 2.7 at 0.125): a runaway that needs only a
# part of one epoch's ~160 minibatches. Adam's steps are at most about the learning rate per weight,
# so its blow-up is gradual. With Adam at these settings (every seed):
#   0.24: the loss rises every epoch and passes 10x its untrained value at epoch 5-7;
#   0.25: rises at each of epochs 1-4 (3.0x, 5.4x, 7.6x, 9.5x the untrained 1.25), diverges at epoch 5;
#   0.26: rises at epochs 1-3 and diverges at epoch 4;
#   0.2-0.21 grow to 5.6-8x over about 9 epochs and then come back down without diverging;
#   0.3 and above pass 10x within 1-2 epochs.
MF_BASICS_BLOW_UP_ADAM_LEARNING_RATES = (0.24, 0.25, 0.26)
MF_BASICS_WATCH_BLOW_UP = replace(MF_BASICS, optimizer="adam", learning_rate=0.25)

# Lesson 2, collaborative filtering: the seed's rank 20, otherwise lesson 1's settings.
# [new] Validation RMSE 0.903..0.911; [new] rank 1 +0.082..+0.090, rank 5 +0.016..+0.021, rank 64
#   +0.003..+0.005, L2 0 +0.153..+0.166, L2 1.0 +0.117..+0.130, learning rate /4 +0.073..+0.082, half the
#   epochs +0.028..+0.036, the mask against the mean +0.176..+0.189 and zeros +1.54..+1.63.
# Earlier draws: 0.907..0.912. Against it: rank 1 +0.077..+0.084 worse, rank 5 +0.014..+0.023,
#   rank 10 -0.002..+0.006, rank 50 +0.002..+0.005, rank 100 +0.005..+0.006;
#   L2 0 +0.141..+0.160 worse, L2 1.0 +0.118..+0.121 worse;
#   learning rate 0.005 +0.076..+0.082 worse; 0.2 diverges; 7 epochs +0.033..+0.040 worse;
#   keeping the mask beats filling with the mean by 0.175..0.180 and filling with zeros by 1.53..1.62;
#   item neighbours share a genre 94-96% of the time against 21% by chance (4.45x..4.64x); at rank 1
#   1.4x..1.7x, at L2 1.0 1.0x..1.25x, after 1 epoch 1.2x..1.45x.
COLLABORATIVE_FILTERING = replace(MF_BASICS, k=20)

# Lesson 3, engagement: embeddings + the dot scorer (biased MF as a network), top 5, 10 epochs at
# learning rate 0.005 (the watch pace redraws the chart once per epoch: ten redraws).
# [new] Simulated CTR 35.5..36.4%, beating most popular by +21.9..+24.9 points, random by +25.6..+26.7
#   and highest rated by +13.3..+14.1; validation accuracy 39.3..39.7%; [new] embedding 4 -3.9..-5.5 /
#   -1.4..-2.3, L2 0 -12.2..-13.4, L2 50 -12.3..-13.7, lr /5 -7.2..-8.4 / -3.4..-4.2, lr x10 -9.9..-12.3,
#   the mlp scorer -8.6..-12.9, 1 epoch -11.6..-14.7 / -4.6..-5.2, 5 epochs -1.3..+0.2 / -0.4..-0.5.
# Earlier draws: simulated CTR (SimulationConfig(k=5, n_sessions=1000, seed=0)) 34.8..38.1% against most popular
# 10.6..13.3%, random 9.6..9.8% and highest rated 23.0..24.2%: every 95% interval apart, gaps
# +24.2..+24.8, +25.2..+28.2 and +11.8..+13.9 points. Validation accuracy 38.6..39.2%.
# Against it (CTR points / accuracy points):
#   embedding 4: -2.7..-5.5 / -0.5..-1.3; 8, 16 and 64 about the same (-1.4..+0.7 / -0.5..+0.3);
#   L2 0: -11.0..-13.8 / -3.4..-4.2, L2 1: -6.5..-8.7, L2 5: -0.8..-2.6 (5 and 10 straddle the peak),
#     L2 20: -6.0..-9.5, L2 50: -11.8..-15.5 / -4.2..-5.2, L2 200: -13.9..-17.6; at L2 0 or 50 the
#     model only ties the highest-rated list (-1.6..+1.2): it learned item quality, not taste;
#   learning rate 0.001 (/5): -7.2..-10.2 / -3.1..-4.3; the slider's neighbours about the same
#     (0.002: -0.5..-1.7, 0.01: -0.9..-2.1); 0.02: -1.6..-3.6; 0.025 (x5, not a slider option):
#     -2.2..-5.7 / -0.6..-0.8, the weaker side; 0.05 (x10): -8.4..-13.9 / -2.3..-3.3; 0.07:
#     -14.5..-20.2; 0.1 is the first option that diverges (at epoch 6-7; 0.12 at 5, 0.15 at 2, 0.2
#     and above in epoch 1). No (learning rate, L2) at 10 epochs is clearly better on both controls
#     (lr 0.0004-0.05 x L2 0-50): L2 5 raises the x5 cost to 3.2..5.7 but then L2 10 beats it by
#     0.8..2.6, and lr 0.007 shrinks the /5 cost to 1.8..3.5;
#   1 epoch: -13.0..-15.3 / -4.3..-5.0; 2 epochs -8.3..-10.8 / -3.1..-4.4; 3 epochs -2.5..-5.1;
#     5 epochs -0.7..+0.1 / -0.5..0.0: the run has levelled off by epoch 5, so the 10 epochs are for
#     the watch pace, not the model; 20 epochs -0.5..-1.4, 30 epochs -1.1..-2.0;
#   the mlp scorer: -5.8..-15.5 / -2.0..-3.4, and against highest rated -1.6..+6.0 (intervals apart
#     on 2 seeds of 3): at these settings it personalises on some seeds only; its hidden width
#     (disabled for dot) has no consistent effect: 8 vs 64 -2.3..+1.0, 256 vs 64 -0.3..+0.8.
# Untrained (epoch 0; the initialisation does not depend on the learning rate or epochs) the dot
# model scores 9.2..10.0% against random's 9.6..9.8%: item biases start at 0 and the random
# embeddings give every user their own random list (469-486 distinct items over all users' lists;
# model seeds 0-4, data seed 0). The untrained mlp instead gives nearly everyone the same few items
# (62-138 distinct; a shared item term dominates its small random output), so its epoch-0 CTR is the
# luck of that one list: 8.0-13.4% over model seeds 0-4 (data seed 0), unrelated to popularity or
# quality (correlation of its item scores with either within +-0.05).
ENGAGEMENT = NeuralConfig(embedding_dim=32, hidden=64, scorer="dot", learning_rate=0.005, l2=10.0, epochs=10,
                          batch_size=256)

# The Playground's and Rate items' MF: genre-shaped item features in 20 quick epochs. Per-rating SGD
# at 0.03 decaying by 0.9 per epoch reached a lower validation RMSE on the synthetic catalogue than
# lesson 1's slow 0.005 (1.049 vs 1.10 at 10,000 ratings, 0.907 at 50,000).
PLAYGROUND_MF = MFConfig(k=10, learning_rate=0.03, l2=0.1, epochs=20, lr_decay=0.9)

# Every learning rate a lesson's slider offers (and the divergence probe may suggest): from far too
# small to far too big, so a learner can see both failures.
OFFERED_LEARNING_RATES = (0.0001, 0.0003, 0.001, 0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.07, 0.1, 0.12, 0.15, 0.2,
                          0.25, 0.3, 0.5, 1.0, 2.0, 5.0)
