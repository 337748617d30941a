"""The Streamlit glue every page shares: state keys, data caches, URL-bound controls, live
training, traces and quizzes. `recsys_core` never imports Streamlit; this package is the one
place where the library meets the widgets, so each page reads top to bottom like a storyboard.
"""

from app_pages._ui.charts import plot
from app_pages._ui.controls import (
    LEARNING_RATES,
    MFControls,
    click_controls,
    load_click_preset,
    mf_controls,
    neural_controls,
)
from app_pages._ui.data import dataset, holdout, synthetic_choice, synthetic_data
from app_pages._ui.live import (
    derived,
    epoch_table,
    lesson_run,
    live_training,
    outcome,
    rmse_metric,
    state_banner,
    train_now,
    training_slot,
)
from app_pages._ui.progress import progress_of
from app_pages._ui.quiz import key_insight, questions, quiz_block, replacements, show_code
from app_pages._ui.shell import LESSONS, configure_jax, data_summary, lesson_header, lesson_tabs, sidebar
from app_pages._ui.traces import (
    layer,
    mf_prediction_trace,
    mlp_step,
    pick_user_and_item,
    stage_table,
    text,
    text_table,
)

__all__ = [
    "LEARNING_RATES", "LESSONS", "MFControls", "click_controls", "configure_jax", "data_summary", "dataset", "derived",
    "epoch_table", "rmse_metric", "holdout", "key_insight", "layer", "lesson_header", "lesson_run", "lesson_tabs",
    "live_training", "load_click_preset", "mf_controls", "mf_prediction_trace", "mlp_step", "neural_controls",
    "pick_user_and_item", "outcome", "plot", "progress_of", "replacements", "text_table",
    "questions", "quiz_block", "show_code", "sidebar", "stage_table", "state_banner", "synthetic_choice", "synthetic_data", "text",
    "train_now", "training_slot",
]
