#!/usr/bin/env python3
"""Chatbot Arena's Bradley-Terry fit and bootstrap (FastChat elo_analysis.py / rating_systems.py,
PR #3523), reproduced as the benchmark peer: np.unique cells, scipy L-BFGS-B (maxiter 100, gtol 1e-6),
rng.multinomial cell resampling with default_rng(0), bootstrap fits in a multiprocessing Pool.
Only pandas is left out (model indices arrive already factorized).

usage: /usr/bin/python3 bench/peers/arena_bt.py <dir with a.bin b.bin y.bin> <num_models> <rounds>
prints one JSON object: point ratings, bootstrap quantiles and timings.
"""
import json
import math
import multiprocessing as mp
import os
import sys
import time
from functools import partial

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit

from blas_info import blas_info


def bt_loss_and_grad(ratings, matchups, outcomes, weights, alpha=1.0):
    matchup_ratings = ratings[matchups]
    logits = alpha * (matchup_ratings[:, 0] - matchup_ratings[:, 1])
    probs = expit(logits)
    loss = -((np.log(probs) * outcomes + np.log(1.0 - probs) * (1.0 - outcomes)) * weights).sum()
    matchups_grads = -alpha * (outcomes - probs) * weights
    model_grad = np.zeros_like(ratings)
    np.add.at(model_grad, matchups[:, [0, 1]], matchups_grads[:, None] * np.array([1, -1], dtype=np.float64))
    return loss, model_grad


def fit_bt(matchups, outcomes, weights, n_models, alpha, tol=1e-6, tight=False):
    initial_ratings = np.zeros(n_models, dtype=np.float64)
    # Arena's settings; `tight` (not timed) runs scipy to convergence to check which estimate is exact.
    options = {"disp": False, "maxiter": 10000, "gtol": 1e-12, "ftol": 1e-16} if tight else {"disp": False, "maxiter": 100, "gtol": tol}
    result = minimize(
        fun=bt_loss_and_grad,
        x0=initial_ratings,
        args=(matchups, outcomes, weights, alpha),
        jac=True,
        method="L-BFGS-B",
        options=options,
    )
    return result["x"]


def scale_and_offset(ratings, scale=400, init_rating=1000):
    return (ratings * scale) + init_rating


def preprocess_for_bt(a, b, y):
    matchups_outcomes = np.column_stack([a, b, y])
    unique_matchups_outcomes, weights = np.unique(matchups_outcomes, return_counts=True, axis=0)
    unique_matchups = unique_matchups_outcomes[:, :2].astype(np.int32)
    unique_outcomes = unique_matchups_outcomes[:, 2]
    return unique_matchups, unique_outcomes, weights


def main():
    folder, n_models, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    a = np.fromfile(os.path.join(folder, "a.bin"), dtype="<i4")
    b = np.fromfile(os.path.join(folder, "b.bin"), dtype="<i4")
    y = np.fromfile(os.path.join(folder, "y.bin"), dtype="<f8")
    n = len(a)

    t0 = time.perf_counter()
    matchups, outcomes, weights = preprocess_for_bt(a, b, y)
    t1 = time.perf_counter()
    point = scale_and_offset(fit_bt(matchups, outcomes, weights, n_models, math.log(10.0)))
    t2 = time.perf_counter()
    rng = np.random.default_rng(seed=0)
    idxs = rng.multinomial(n=n, pvals=weights / weights.sum(), size=rounds)
    boot_weights = idxs.astype(np.float64) / n
    bt_fn = partial(fit_bt, matchups, outcomes, n_models=n_models, alpha=math.log(10.0))
    with mp.Pool(os.cpu_count()) as pool:
        results = list(pool.imap_unordered(bt_fn, boot_weights))
    boot = scale_and_offset(np.array(results))
    t3 = time.perf_counter()
    tight = scale_and_offset(fit_bt(matchups, outcomes, weights, n_models, math.log(10.0), tight=True))
    print(json.dumps({
        "ratings": point.tolist(),
        "ratings_tight": tight.tolist(),
        "lower": np.quantile(boot, 0.025, axis=0).tolist(),
        "upper": np.quantile(boot, 0.975, axis=0).tolist(),
        "seconds": {"collapse": t1 - t0, "fit": t2 - t1, "bootstrap": t3 - t2, "total": t3 - t0},
        "cells": int(len(weights)),
        "processes": os.cpu_count(),
        "blas": blas_info(os.cpu_count()),
    }))


if __name__ == "__main__":
    main()
