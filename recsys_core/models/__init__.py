"""Models as pure functions over explicit parameters: init, predict, loss and per-layer traces.

`mf` (biased matrix factorization), `neural` (embeddings plus a scorer), `click_mlp` (the
overfitting lesson's network), `baselines` (mean and biases only). No training loop here: that
is `recsys_core.training`, which imports from this layer and never the other way round.
"""
