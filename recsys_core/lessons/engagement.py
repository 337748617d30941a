"""What the page "Why recommendations drive engagement" shows, computed from live objects.

The lesson walks 10,000 logged ratings through six stages to a top-5 list, then asks whether
such lists really get more clicks. This module builds the stage table, the evaluation sample,
the per-policy tables and — most important — the sentences that describe what the numbers of
*this* run show. Those sentences are generated, never canned: whether the model beats a
baseline is decided by its 95% interval, so the page never claims more than the run measured.

numpy/pandas only; the page lays the results out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import numpy as np
import pandas as pd

from recsys_core.data import N_USERS, Ratings
from recsys_core.evaluation import engagement as eg
from recsys_core.evaluation.compare import noise_bound, relevance_threshold
from recsys_core.evaluation.ranking import recommendation_table, seen_indices, top_k
from recsys_core.lessons.defaults import DEFAULT_RATINGS, ENGAGEMENT
from recsys_core.lessons.stages import stage, vector_text
from recsys_core.models import neural
from recsys_core.models.neural import all_scores
from recsys_core.training.neural import fit_neural

HIGHER, LOWER, TIE = "higher", "lower", "tie"
# Beside the controls whose effect is small by design at the lesson's defaults (measured in
# recsys_core.lessons.defaults): what the learner will see when moving them, and why.
CONTROL_NOTES = {
    "dim": "Numbers per user and per item. Small by design here: from the second size up the click-through "
           "rate and accuracy move by about a point, within the spread between seeds; only the smallest size is "
           "clearly worse. The synthetic catalogue plants tastes that need only a few numbers to describe.",
    "hidden": "Neurons in the mlp's hidden layer (greyed out for the dot scorer). Small by design here: a narrower "
              "or wider layer is neither clearly better nor worse across data seeds.",
}
TOP_K = 5  # the lesson document's list length: the traces, the offline metrics, the A/B test's default
RAW_COLUMNS = ("user", "item", "rating")
CI_LOW, CI_HIGH = f"{eg.CONFIDENCE:.0%} CI low (%)", f"{eg.CONFIDENCE:.0%} CI high (%)"  # the CTR table's interval columns  # one logged rating, as the lesson document's first stage has it
POLICY_ORDER = (eg.RANDOM, eg.POPULAR, eg.HIGHEST_RATED, eg.MODEL)
# The settings under which personalisation clearly beats a list that is the same for everyone: the
# lesson's defaults (measured in recsys_core.lessons.defaults), offered when a learner has moved away.
MORE_DATA = {"ratings": DEFAULT_RATINGS, "scorer": ENGAGEMENT.scorer, "learning_rate": ENGAGEMENT.learning_rate,
             "l2": ENGAGEMENT.l2}


ACCURACY_DEFINITION = (
    f"Accuracy = share of held-out ratings predicted within ±{neural.ACCURACY_TOLERANCE:g} stars, i.e. the "
    "prediction rounded to the nearest star is exactly the star the user gave. Ratings carry noise, so "
    "even a perfect model stays well below perfect accuracy (see `accuracy_ceiling`)."
)


def neural_trace(params: neural.NeuralParams, user: int, k: int = 5, seen: np.ndarray | set | None = None) -> dict:
    """The lesson's four prediction layers for one user, as numpy (what the page shows).

    1. ``user_embedding`` (d,): the user as a vector.
    2. ``item_embeddings`` (n_items, d): every item as a vector.
    3. ``similarity`` (n_items,): how well each item matches the user's taste (the dot product,
       or the MLP's output on the concatenated pair), and ``scores``: the predicted rating
       (similarity plus global mean and biases).
    4. ranking: ``masked_scores`` with already-rated items set to -inf (recommending what the
       user has already rated teaches them nothing new), then ``top_items`` / ``top_scores``,
       the k best unseen items, best first.
    """
    similarity, scores = neural.neural_scores(params, user)
    seen_idx = seen_indices(seen, scores.shape[0])
    masked = scores.astype(np.float64).copy()
    masked[seen_idx] = -np.inf
    top = top_k(scores, seen_idx, k)
    return {
        "scorer": params.scorer,
        "user": int(user),
        "user_embedding": np.asarray(params.user_embedding[user]),
        "item_embeddings": np.asarray(params.item_embedding),
        "similarity": similarity,
        "scores": scores,
        "seen": seen_idx,
        "masked_scores": masked,
        "top_items": top,
        "top_scores": scores[top],
    }


def accuracy_ceiling(ratings: Ratings) -> float | None:
    """Accuracy of the planted truth itself on ``ratings`` (None for data without a truth).

    Predicting the noise-free planted rating is the best any model can do, and rating noise
    still puts many ratings on a neighbouring star: this is the honest top of the accuracy axis.
    """
    if ratings.truth is None or len(ratings) == 0:
        return None
    lo, hi = ratings.rating_scale
    best = np.clip(ratings.truth.expected_rating(ratings.users, ratings.items), lo, hi)
    return float(np.mean(np.abs(best - ratings.ratings) <= neural.ACCURACY_TOLERANCE))


def example_user(train: Ratings, min_ratings: int = 5) -> int:
    """A user with enough training ratings that masking seen items is visible (most active else)."""
    counts = np.bincount(train.users, minlength=train.n_users)
    candidates = np.flatnonzero(counts >= min_ratings)
    return int(candidates[0]) if candidates.size else int(np.argmax(counts))


def preprocessing_report(ratings: Ratings) -> dict:
    """What cleaning found and did: counts checked on the data itself plus the loader's notes.

    ``dropped`` lists sentences naming what was removed or changed and why; empty when the data
    was already clean (the synthetic catalogue is).
    """
    pairs = ratings.users.astype(np.int64) * ratings.n_items + ratings.items
    duplicates = int(len(pairs) - len(np.unique(pairs)))
    lo, hi = ratings.rating_scale
    missing = int(np.isnan(ratings.ratings).sum())
    out_of_scale = int(((ratings.ratings < lo) | (ratings.ratings > hi)).sum())
    rated_per_user = np.bincount(ratings.users, minlength=ratings.n_users)
    return {
        "rows": len(ratings),
        "duplicates": duplicates,
        "missing": missing,
        "out_of_scale": out_of_scale,
        "users_without_ratings": int((rated_per_user == 0).sum()),
        "dropped": list(ratings.notes),
    }


def preprocessing_text(report: dict) -> str:
    """One sentence for the stage table: what was dropped and why (or that nothing was)."""
    if report["dropped"]:
        return "Loader: " + " ".join(report["dropped"])
    return (f"Nothing dropped: all {report['rows']:,} rows have a user, an item and a rating on the scale "
            f"(missing: {report['missing']}, duplicate user-item pairs: {report['duplicates']}).")


def engagement_stages(
    ratings: Ratings,
    train: Ratings,
    test: Ratings,
    params: neural.NeuralParams,
    user: int,
    k: int = 5,
) -> list[dict[str, str]]:
    """The seed's six stages, from the data and the trained model in memory."""
    d = params.embedding_dim
    n, n_train, n_test = len(ratings), len(train), len(test)
    report = preprocessing_report(ratings)
    raw_user, raw_item, raw_rating = ratings.user_ids[ratings.users[0]], ratings.item_ids[ratings.items[0]], ratings.ratings[0]
    train_pred = float(neural.predict_neural(params, train.users[:1], train.items[:1])[0])
    test_pred = float(neural.predict_neural(params, test.users[:1], test.items[:1])[0]) if n_test else float("nan")
    seen = train.items[train.users == user]
    trace = neural_trace(params, user, k, seen)
    top_titles = ", ".join(train.title(int(i)) for i in trace["top_items"])
    return [
        stage("User interaction data collection", f"{n:,} logged ratings",
              "Collect who rated what and how many stars (one row per rating)",
              f"{n:,} rows x {len(RAW_COLUMNS)} columns ({', '.join(RAW_COLUMNS)})",
              f"User: {raw_user}, Item: {raw_item}, Rating: {raw_rating:g}"),
        stage("Data preprocessing", f"{n:,} rows x {len(RAW_COLUMNS)} columns",
              f"Clean (missing or duplicate ratings) and encode ids as 0..{ratings.n_users - 1} (users) "
              f"and 0..{ratings.n_items - 1} (items). {preprocessing_text(report)}",
              f"{n:,} rows x {len(RAW_COLUMNS)} columns",
              f"User {raw_user} → index {ratings.users[0]}, Item {raw_item} → index {ratings.items[0]}, "
              f"Rating: {raw_rating:g}"),
        stage("Feature engineering", f"{n:,} rows x {len(RAW_COLUMNS)} columns",
              f"Look up a learned user embedding ({ratings.n_users:,} x {d}) and item embedding "
              f"({ratings.n_items:,} x {d}) for every row and put them side by side",
              f"{n:,} rows x {2 * d} columns",
              f"User embedding: {vector_text(np.asarray(params.user_embedding[ratings.users[0]]))}, "
              f"Item embedding: {vector_text(np.asarray(params.item_embedding[ratings.items[0]]))}"),
        stage("Model training", f"{n_train:,} rows x {2 * d} columns ({n_train / max(n_train + n_test, 1):.0%})",
              f"Train the {'neural network' if params.scorer == 'mlp' else 'dot-product scorer'} with Adam "
              "to predict each rating (squared error)",
              f"{n_train:,} rows x 1 column",
              f"Predicted rating: {train_pred:.2f} (actual {train.ratings[0]:g})"),
        stage("Model evaluation", f"{n_test:,} rows x {2 * d} columns ({n_test / max(n_train + n_test, 1):.0%})",
              "Predict ratings the model never trained on and compare with the real ones",
              f"{n_test:,} rows x 1 column",
              f"Predicted rating: {test_pred:.2f}, Actual rating: {test.ratings[0]:g}" if n_test else "no held-out rows"),
        stage("Recommendation generation", f"1 user embedding vector ({d},)",
              f"Score all {ratings.n_items:,} items, hide the {len(seen)} already rated, keep the top {k}",
              f"{len(trace['top_items'])} items list",
              f"User {train.user_ids[user]}: {top_titles}"),
    ]


def predicted_vs_actual(params: neural.NeuralParams, test: Ratings, rows: int = 8) -> pd.DataFrame:
    """A few held-out ratings with the model's prediction, as the evaluation stage sees them."""
    pick = np.arange(min(rows, len(test)))
    pred = neural.predict_neural(params, test.users[pick], test.items[pick])
    return pd.DataFrame({
        "user": test.user_ids[test.users[pick]],
        "item": [test.title(int(i)) for i in test.items[pick]],
        "predicted (stars)": pred,
        "actual (stars)": test.ratings[pick],
        f"within ±{neural.ACCURACY_TOLERANCE:g}": np.abs(pred - test.ratings[pick]) <= neural.ACCURACY_TOLERANCE,
    })


def score_breakdown(trace: dict, params: neural.NeuralParams, train: Ratings) -> pd.DataFrame:
    """The top-k list with each score split into taste match (similarity) and item quality (bias).

    It shows how much of a recommendation is "this item suits you" and how much "this item is
    good for everyone" — the difference between personalisation and a highest-rated list.
    """
    items = trace["top_items"]
    table = recommendation_table(train, items, trace["scores"])
    table["similarity (taste match)"] = trace["similarity"][items]
    table["item bias (quality)"] = np.asarray(params.item_bias)[items]
    return table.rename(columns={"score": "predicted rating (stars)"})


# --- the simulated A/B test ---------------------------------------------------------------------


def ordered(table: pd.DataFrame) -> pd.DataFrame:
    """Policies in the lesson's order: random, most popular, highest rated, trained model."""
    rank = {p: i for i, p in enumerate(POLICY_ORDER)}
    return table.sort_values("policy", key=lambda s: s.map(lambda p: rank.get(p, len(rank))),
                             kind="stable").reset_index(drop=True)


MIN_GAP = 0.02  # CTR points: a smaller gap is not called a win even when the intervals part


def compare(table: pd.DataFrame, a: str, b: str) -> str:
    """HIGHER/LOWER when ``a``'s 95% interval lies wholly above/below ``b``'s *and* the CTRs differ by
    at least `MIN_GAP`, else TIE: with enough sessions the intervals part on a gap too small to
    matter, and a verdict must not flip on that."""
    rows = table.set_index("policy")
    gap = rows.loc[a, "ctr"] - rows.loc[b, "ctr"]
    if rows.loc[a, "ci_low"] > rows.loc[b, "ci_high"] and gap >= MIN_GAP:
        return HIGHER
    if rows.loc[a, "ci_high"] < rows.loc[b, "ci_low"] and gap <= -MIN_GAP:
        return LOWER
    return TIE


def ctr_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The simulation table in the units the page shows (CTR in %)."""
    t = ordered(table)
    return pd.DataFrame({
        "policy": t["policy"],
        "impressions": t["impressions"],
        "clicks": t["clicks"],
        "CTR (%)": 100 * t["ctr"],
        CI_LOW: 100 * t["ci_low"],
        CI_HIGH: 100 * t["ci_high"],
    })


def _ratio(table: pd.DataFrame, a: str, b: str) -> float:
    ctr = table.set_index("policy")["ctr"]
    return float(ctr[a] / ctr[b]) if ctr[b] > 0 else float("inf")


def engagement_findings(table: pd.DataFrame, n_ratings: int, n_users: int) -> list[str]:
    """What this simulation shows, one sentence per comparison, decided by the Wilson intervals."""
    ctr = table.set_index("policy")["ctr"]
    words = {HIGHER: "clearly more", LOWER: "clearly fewer", TIE: "about as many"}
    lines = []
    for baseline in (eg.RANDOM, eg.POPULAR):
        verdict = compare(table, eg.MODEL, baseline)
        lines.append(
            f"The trained model's lists get **{words[verdict]} clicks** than {baseline} "
            f"({ctr[eg.MODEL]:.1%} vs {ctr[baseline]:.1%}, {_ratio(table, eg.MODEL, baseline):.2f}x"
            + (f", the {eg.CONFIDENCE:.0%} intervals do not overlap and the gap is at least {MIN_GAP * 100:.0f} points)."
               if verdict != TIE else
               f"; the {eg.CONFIDENCE:.0%} intervals overlap or the gap is under {MIN_GAP * 100:.0f} points).")
        )
    if eg.HIGHEST_RATED in ctr:
        verdict = compare(table, eg.MODEL, eg.HIGHEST_RATED)
        per_user = n_ratings / max(n_users, 1)
        if verdict == HIGHER:
            lines.append(
                f"It also beats the **highest-rated** list, which is the same for everyone "
                f"({ctr[eg.MODEL]:.1%} vs {ctr[eg.HIGHEST_RATED]:.1%}): with {per_user:.0f} ratings per user the "
                "model has learned each user's taste, not only which items are good."
            )
        else:
            lines.append(
                f"But a **highest-rated** list, the same for everyone, gets {'about as many' if verdict == TIE else 'clearly more'} "
                f"clicks ({ctr[eg.HIGHEST_RATED]:.1%} vs the model's {ctr[eg.MODEL]:.1%}): with only "
                f"{per_user:.0f} ratings per user the model has mostly learned which items are good, not yet each "
                f"user's own taste. Personalisation pulls ahead with more data — try {MORE_DATA['ratings']:,} ratings "
                f"with the {MORE_DATA['scorer']} scorer."
            )
    return lines


def ranking_table(scores_by_policy: Mapping[str, np.ndarray], train: Ratings, test: Ratings, k: int) -> pd.DataFrame:
    """Offline top-k metrics on held-out ratings, one row per policy (relevant: the playground's threshold)."""
    rows = []
    for policy in [p for p in POLICY_ORDER if p in scores_by_policy]:
        report = eg.ranking_report(np.asarray(scores_by_policy[policy]), train, test, k=k,
                                   like_threshold=relevance_threshold(train.rating_scale))
        rows.append({
            "policy": policy,
            f"precision@{k}": report[f"precision@{k}"],
            f"recall@{k}": report[f"recall@{k}"],
            f"NDCG@{k}": report[f"ndcg@{k}"],
            f"hit rate@{k}": report[f"hit_rate@{k}"],
            "coverage": report["coverage"],
        })
    return pd.DataFrame(rows)


def offline_vs_online(ranking: pd.DataFrame, table: pd.DataFrame, k: int) -> str:
    """Does the offline winner (precision@k) match the online winner (simulated CTR)?"""
    offline = ranking.set_index("policy")[f"precision@{k}"]
    ctr = table.set_index("policy")["ctr"]
    best_offline, best_online = str(offline.idxmax()), str(ctr.idxmax())
    if best_offline == best_online:
        return (f"Here offline and online agree: **{best_online}** has both the best precision@{k} "
                f"({offline[best_offline]:.3f}) and the best simulated CTR ({ctr[best_online]:.1%}).")
    return (
        f"Offline, **{best_offline}** looks best (precision@{k} {offline[best_offline]:.3f} vs the model's "
        f"{offline.get(eg.MODEL, float('nan')):.3f}); online, simulated users click **{best_online}** most "
        f"({ctr[best_online]:.1%} vs {ctr[best_offline]:.1%}). Held-out ratings are popularity-biased — people "
        "rate what they were shown and what everyone watches — so lists of popular items \"hit\" them more often. "
        "That is why sites confirm offline metrics with online A/B tests."
    )


def in_percent(frame: pd.DataFrame, columns: tuple[str, ...] = ("ctr", "ci_low", "ci_high")) -> pd.DataFrame:
    """A copy with rate columns in % (charts label their axes in %)."""
    out = frame.copy()
    for column in columns:
        out[column] = 100 * out[column]
    return out


def with_flat_policy(by_epoch: pd.DataFrame, table: pd.DataFrame, policy: str) -> pd.DataFrame:
    """Add a non-learning ``policy`` from ``table`` as the same row at every epoch (a flat line).

    Valid because `ctr_vs_epochs` and `simulate` with one `SimulationConfig` meet the same users
    with the same draws, so the policy's CTR is the same at every epoch.
    """
    if policy not in set(table["policy"]):
        return by_epoch
    row = table[table["policy"] == policy].iloc[0]
    extra = pd.DataFrame([{**{c: row[c] for c in by_epoch.columns if c in row.index}, "epoch": e}
                          for e in sorted(by_epoch["epoch"].unique())])
    both = pd.concat([by_epoch, extra[by_epoch.columns.intersection(extra.columns)]], ignore_index=True)
    return ordered(both.sort_values("epoch", kind="stable"))


def mean_guess_accuracy(train: Ratings, test: Ratings) -> float:
    """Accuracy (within ±0.5 stars) of predicting the training mean for every held-out rating."""
    return float(np.mean(np.abs(test.ratings - train.global_mean) <= neural.ACCURACY_TOLERANCE)) if len(test) else float("nan")


def click_chances(stars: tuple[int, ...] = (5, 4, 3)) -> dict[int, float]:
    """The simulated chance of clicking an item the user would truly rate ``stars``."""
    return {s: float(1.0 / (1.0 + np.exp(-eg.CLICK_SLOPE * (s - eg.CLICK_THRESHOLD)))) for s in stars}


# An untrained model showing under this share of the distinct items random lists show is handing
# most users nearly the same list. Measured at epoch 0 on the synthetic catalogue (data seeds 0-2,
# 10,000 and 50,000 ratings, model seeds 0-1): the dot scorer shows 0.90-0.94 of random's, the mlp
# 0.18-0.26.
SHARED_LIST_SHARE = 0.5


def epochs_finding(curve: pd.DataFrame, epochs_done: int) -> str:
    """The model's CTR untrained and after the learner's epochs, against random, and why epoch 0 scores
    what it does: an untrained dot scorer ranks by tiny random products (a different, random list
    per user), an untrained network by its arbitrary shared weights (nearly one list for everyone)."""
    by = curve.set_index(["policy", "epoch"])
    ctr, distinct = by["ctr"], by["distinct_items"]
    done = min(epochs_done, int(curve["epoch"].max()))
    text = (f"Left: the same model retrained epoch by epoch. Untrained (epoch 0) its lists get {ctr[eg.MODEL, 0]:.1%} "
            f"(random: {ctr[eg.RANDOM, 0]:.1%}); after {done} epochs, {ctr[eg.MODEL, done]:.1%}. ")
    shown, random_shown, popular_shown = (int(distinct[p, 0]) for p in (eg.MODEL, eg.RANDOM, eg.POPULAR))
    counts = f"{shown:,} different items over all sessions (random lists: {random_shown:,}; the most-popular list: {popular_shown:,})"
    if shown < SHARED_LIST_SHARE * random_shown:
        return text + (f"Untrained, it showed only {counts}: before learning anything it gives most users nearly the same "
                       "arbitrary list, so its epoch-0 click rate is the luck of that one list — above or below random.")
    return text + (f"Untrained, it showed {counts}: its scores are products of small random numbers, so each user gets a "
                   "different, essentially random list and clicks at about the random rate.")


def list_length_finding(by_k: pd.DataFrame) -> str:
    """How the model's CTR changes from the shortest to the longest list (from the table)."""
    model = by_k[by_k["policy"] == eg.MODEL].set_index("k")["ctr"]
    first, last = int(model.index.min()), int(model.index.max())
    trend = ("falls" if model[last] < model[first] else "rises") + f" from {model[first]:.1%} at k = {first} to {model[last]:.1%} at k = {last}"
    why = ": its first slots hold its most confident picks." if model[last] < model[first] else "."
    return f"Right: the model's CTR {trend}{why}"


# --- the A/B test's words, the quiz and the key insight -------------------------------------------


def ab_test_intro() -> str:
    """How the simulated A/B test works, with the click chances the simulation really uses."""
    chances = ", ".join(f"{p:.0%} for an item they would truly rate {s} stars" for s, p in click_chances().items())
    return ("Do these lists really get more clicks? Simulated users, whose true tastes the synthetic catalogue planted, "
            "each see a list of items they have not rated, from one of four **policies**: **random** items, the **most "
            "popular** items, the **highest rated** items (both the same for everyone), or your **trained model**'s top "
            f"items. A user clicks a shown item with a chance that rises with how much they truly like it: {chances}. "
            "All policies meet the same users and the same luck, so differences are the policies' own.")


def ctr_alt_text(table: pd.DataFrame, sessions: int, k: int) -> str:
    """The CTR chart in words, for screen readers."""
    ctr = ordered(table).set_index("policy")["ctr"]
    return (f"Bar chart of click-through rate over {sessions:,} simulated sessions of {k} items: "
            + ", ".join(f"{policy} {value:.1%}" for policy, value in ctr.items()) + ".")


def more_data_label() -> str:
    return (f"Try it: {MORE_DATA['ratings']:,} ratings, {MORE_DATA['scorer']} scorer (learning rate "
            f"{MORE_DATA['learning_rate']:g}, L2 {MORE_DATA['l2']:g})")


def quiz_numbers(ratings: Ratings, k: int) -> dict[str, float]:
    """The intro's and the quiz bank's template fields: list length, interval level, the more-data run."""
    return {"n_ratings": ratings.n_ratings, "k": k, "confidence": eg.CONFIDENCE,
            "more_ratings": MORE_DATA["ratings"], "more_per_user": MORE_DATA["ratings"] / N_USERS}


def model_vs_popular(table: pd.DataFrame | None, k: int):
    """(sentence, (right option, explanation)) for "does the model beat most popular?"."""
    if table is None:
        return "The simulation needs the synthetic catalogue and a model that did not diverge: switch data or retrain."
    ctr = table.set_index("policy")["ctr"]
    result = f"Your run, k = {k}: trained model {ctr[eg.MODEL]:.1%} vs most popular {ctr[eg.POPULAR]:.1%}."
    answer = {LOWER: 0, TIE: 1, HIGHER: 2}[compare(table, eg.MODEL, eg.POPULAR)]
    return result, (answer, result + " Popular items are liked by many, but not by everyone; the model picks for the "
                    f"user in front of it. A win needs intervals that do not overlap and a gap of at least "
                    f"{MIN_GAP * 100:.0f} points.")


def offline_vs_popular(params: neural.NeuralParams, train: Ratings, test: Ratings, k: int):
    """(sentence, (right option, explanation)) for "model or most popular, by precision@k?" on any data.

    A tie when the gap is within twice the largest standard error per-user precisions can have
    (`noise_bound`): the held-out users are a sample.
    """
    table = ranking_table(eg.policy_scores(train, all_scores(params), 0), train, test, k).set_index("policy")
    mine, popular = (float(table.loc[p, f"precision@{k}"]) for p in (eg.MODEL, eg.POPULAR))
    threshold = relevance_threshold(train.rating_scale)
    users = int(np.unique(test.users[test.ratings >= threshold]).size)
    noise = noise_bound(mine, popular, users)
    answer = 1 if abs(mine - popular) <= noise else 2 if mine > popular else 0
    sentence = (f"Precision@{k} on {users:,} held-out users' lists: trained model {mine:.3f}, most popular {popular:.3f} "
                f"(sampling noise about ±{noise:.3f}).")
    return sentence, (answer, sentence + f" A held-out rating of {threshold:g}+ counts as relevant. Popular items are a "
                      "strong offline baseline: many users rated them, so many held-out ratings land on them.")


def more_data_experiment(big: Ratings, big_train: Ratings, big_val: Ratings, small_train: Ratings):
    """Train the lesson's model with `MORE_DATA` and simulate it: the "more data" question's run."""
    config = replace(ENGAGEMENT, scorer=MORE_DATA["scorer"], learning_rate=MORE_DATA["learning_rate"], l2=MORE_DATA["l2"])
    scores = all_scores(fit_neural(big_train, big_val, config).params)
    result = eg.simulate(big, eg.policy_scores(big_train, scores, 0, include_highest_rated=True))
    return more_data_outcome(result, big_train, big.n_users, small_train.n_ratings / small_train.n_users)


def more_data_outcome(result: pd.DataFrame, big_train: Ratings, n_users: int, small_per_user: float):
    """(sentence, (right option, explanation)) for "does personalisation win with more data?"."""
    ctr = result.set_index("policy")["ctr"]
    message = (f"{MORE_DATA['ratings']:,} ratings, {MORE_DATA['scorer']} scorer: trained model {ctr[eg.MODEL]:.1%} "
               f"vs highest rated {ctr[eg.HIGHEST_RATED]:.1%}.")
    answer = 1 if compare(result, eg.MODEL, eg.HIGHEST_RATED) == HIGHER else 0
    return message, (answer, message + f" With {big_train.n_ratings / n_users:.0f} training ratings per user the model "
                     f"can learn each user's own taste; with {small_per_user:.0f} it mostly learns which items are good "
                     "for everyone.")


def insight(run, train: Ratings, dim: int, table: pd.DataFrame | None, ceiling: float | None, k: int) -> str:
    """What this learner's own run showed, in sentences made from its numbers."""
    if run is None or not run.trained:
        return "Train the model (Training tab) and this says what your own run showed."
    first, last = run.history[0], run.history[run.params_epoch]
    text = (f"Your model turned {train.n_ratings:,} training ratings into {train.n_users:,} user and {train.n_items:,} "
            f"item embeddings of {dim} numbers; after {run.params_epoch:,} epochs its validation loss went from "
            f"{first.val_loss:.3f} (untrained) to {last.val_loss:.3f} and it predicts **{last.val_metric:.0%}** of held-out "
            "ratings within half a star" + (f" (the noise ceiling is {ceiling:.0%})." if ceiling is not None else "."))
    if table is not None:
        ctr = table.set_index("policy")["ctr"]
        text += (f" Shown as top-{k} lists, its picks were clicked **{ctr[eg.MODEL]:.1%}** of the time, against "
                 f"{ctr[eg.POPULAR]:.1%} for the most popular items, {ctr[eg.HIGHEST_RATED]:.1%} for the highest rated "
                 f"and {ctr[eg.RANDOM]:.1%} for random ones. " + " ".join(engagement_findings(table, train.n_ratings,
                                                                                         train.n_users)[2:]))
    return text


def ceiling_caption(ceiling: float) -> str:
    return ("The lesson document's table shows accuracy climbing from “0.45” to “0.85”. Real ratings are noisy — the "
            f"same user might give one star more or less on another day — so even the true tastes reach only {ceiling:.0%} here; "
            "your model's numbers above are what this data honestly allows.")


def cleaning_text(ratings: Ratings) -> str:
    """Stage 2 in words: what cleaning found, and how ids become rows of the embedding tables."""
    report = preprocessing_report(ratings)
    text = (f"{preprocessing_text(report)} User and item ids become row numbers 0..{ratings.n_users - 1:,} and "
            f"0..{ratings.n_items - 1:,}, so they can pick rows of the embedding tables.")
    if report["users_without_ratings"]:
        text += f" {report['users_without_ratings']:,} users have no ratings: their embeddings stay at random."
    return text


def similarity_text(config) -> str:
    scorer = ("the dot product of the two embeddings" if config.scorer == "dot" else
              f"the network's output on the {2 * config.embedding_dim} numbers [user ; item]")
    return (f"Similarity = {scorer}; predicted rating = global mean + user bias + item bias + similarity. Every item is "
            "scored; the ones this user already rated are greyed out.")
