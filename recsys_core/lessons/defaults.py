"""Each lesson's default settings, in one place (the pages read them; tests measure them)."""

from recsys_core.training.mf import MFConfig
from recsys_core.training.neural import NeuralConfig

MF_BASICS = MFConfig()
COLLABORATIVE_FILTERING = MFConfig(k=20, epochs=15)
ENGAGEMENT = NeuralConfig()
