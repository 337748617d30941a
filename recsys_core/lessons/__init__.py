"""Lessons: what each lesson page shows — stages, findings, insight text and quiz experiments.

The top layer of the library: sentences here are generated from the live numbers of data,
runs and evaluations below, never canned, so a page says only what its own run measured.
"""
