"""Training: the one loop every model runs through, and each model's epoch program.

`loop` owns timing, epoch 0, divergence, early stopping and restoring the best epoch; `mf`,
`neural` and `clicks` supply an init, one jitted epoch and an evaluation each; `batching` and
`optimisers` are what they share; `cross_validation` trains k folds of MF in one program.
"""
