"""Data: the `Ratings` container, where ratings come from, and the views lessons draw of them.

The bottom layer of `recsys_core`: numpy and pandas only, nothing here knows about models.
"""

from recsys_core.data.clicks import ClickData, click_dataset
from recsys_core.data.loaders import (
    MAX_FILE_BYTES,
    MAX_RATINGS,
    FileTooLargeError,
    RatingsFormatError,
    load_ratings,
    load_upload,
)
from recsys_core.data.matrix import (
    FILL_CHOICES,
    MAX_DENSE_CELLS,
    describe,
    fill_missing,
    matrix_window,
    rating_matrix,
)
from recsys_core.data.movielens import ML_1M, ML_100K, MovieLensShape, movielens_like
from recsys_core.data.ratings import GENRES, PlantedTruth, Ratings
from recsys_core.data.splits import (
    TEST_FRACTION,
    held_out_share,
    holdout_split,
    kfold,
    kfold_indices,
    leave_last_out,
)
from recsys_core.data.synthetic import N_ITEMS, N_USERS, synthetic

__all__ = [
    "FILL_CHOICES", "GENRES", "MAX_DENSE_CELLS", "MAX_FILE_BYTES", "MAX_RATINGS", "ML_1M", "ML_100K", "ClickData",
    "FileTooLargeError", "N_ITEMS", "N_USERS", "TEST_FRACTION", "MovieLensShape", "PlantedTruth", "Ratings",
    "RatingsFormatError", "click_dataset", "describe", "fill_missing", "held_out_share", "holdout_split", "kfold",
    "kfold_indices", "leave_last_out", "load_ratings", "load_upload", "matrix_window",
    "movielens_like", "rating_matrix", "synthetic",
]
