"""Evaluation: metrics, top-k ranking, model comparison and the simulated A/B test.

Above training: it may train models to compare them, and scores them the same way every time.
"""
