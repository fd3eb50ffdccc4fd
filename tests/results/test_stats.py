"""Statistics against scipy.stats called directly on the same fixed data."""

import numpy as np
import pytest
from scipy import stats

from ferbench.results.stats import NO_POWER, bootstrap_ci, paired_bootstrap, wilcoxon_folds

FOLDS = [0.71, 0.64, 0.80, 0.77, 0.69, 0.74, 0.66, 0.79, 0.72, 0.75]


def _accuracy(scores, targets):
    return float(np.mean(scores.argmax(1) == targets))


def test_bootstrap_ci_is_scipys_percentile_interval_of_the_mean():
    expected = stats.bootstrap((np.array(FOLDS),), np.mean, confidence_level=0.9,
                               n_resamples=5000, method="percentile",
                               random_state=np.random.default_rng(3)).confidence_interval
    assert bootstrap_ci(FOLDS, 0.9, 5000, seed=3) == pytest.approx(
        (expected.low, expected.high))
    low, high = bootstrap_ci(FOLDS)
    assert low < np.mean(FOLDS) < high
    assert bootstrap_ci(FOLDS, seed=1) != bootstrap_ci(FOLDS, seed=2)
    assert bootstrap_ci([0.7]) is None and bootstrap_ci([]) is None


@pytest.fixture
def predictions():
    rng = np.random.default_rng(0)
    targets = rng.integers(0, 4, 120)
    scores_a = rng.normal(size=(120, 4))
    scores_b = scores_a.copy()
    scores_b[np.arange(120), targets] += 0.8  # B is better
    return scores_a, scores_b, targets


def test_paired_bootstrap_matches_scipy_on_the_index_resampling(predictions):
    scores_a, scores_b, targets = predictions
    result = paired_bootstrap(scores_a, scores_b, targets, _accuracy, n_resamples=999, seed=5)

    def difference(index):
        return _accuracy(scores_b[index], targets[index]) - \
            _accuracy(scores_a[index], targets[index])

    expected = stats.bootstrap((np.arange(120),), difference, n_resamples=999,
                               method="percentile", vectorized=False,
                               random_state=np.random.default_rng(5))
    assert result.difference == pytest.approx(_accuracy(scores_b, targets)
                                              - _accuracy(scores_a, targets))
    assert (result.low, result.high) == pytest.approx(
        (expected.confidence_interval.low, expected.confidence_interval.high))
    shifted = np.abs(expected.bootstrap_distribution - result.difference)
    assert result.pvalue == pytest.approx(
        (1 + np.sum(shifted >= abs(result.difference))) / 1000)
    assert result.difference > 0 and result.low > 0 and result.pvalue < 0.01
    assert result.n == 120


def test_paired_bootstrap_of_identical_predictions_finds_nothing(predictions):
    scores_a, _, targets = predictions
    result = paired_bootstrap(scores_a, scores_a, targets, _accuracy, n_resamples=200)
    assert (result.difference, result.low, result.high, result.pvalue) == (0, 0, 0, 1)


def test_groups_resample_whole_items(predictions):
    scores_a, scores_b, targets = predictions
    keys = np.arange(120)
    twice = paired_bootstrap(np.concatenate([scores_a, scores_a]),
                             np.concatenate([scores_b, scores_b]),
                             np.concatenate([targets, targets]), _accuracy, 500, seed=2,
                             groups=np.concatenate([keys, keys]))
    once = paired_bootstrap(scores_a, scores_b, targets, _accuracy, 500, seed=2)
    assert twice.n == 120
    assert (twice.low, twice.high, twice.pvalue) == pytest.approx(
        (once.low, once.high, once.pvalue))


def test_paired_bootstrap_needs_aligned_rows(predictions):
    scores_a, scores_b, targets = predictions
    with pytest.raises(ValueError, match="same test items"):
        paired_bootstrap(scores_a, scores_b[:-1], targets, _accuracy, 10)


def test_wilcoxon_folds_is_scipys_signed_rank_test():
    other = [x + d for x, d in zip(FOLDS, [0.02, 0.05, -0.01, 0.03, 0.04, 0.01, 0.06, 0.02,
                                           0.03, -0.02], strict=True)]
    expected = stats.wilcoxon(other, FOLDS)
    result = wilcoxon_folds(FOLDS, other)
    assert (result.statistic, result.pvalue) == pytest.approx(
        (expected.statistic, expected.pvalue))
    assert result.n == 10 and result.note == ""


def test_wilcoxon_folds_pairs_mappings_on_shared_keys_and_flags_few_pairs():
    a = {0: 0.70, 1: 0.60, 2: 0.80, 3: 0.75, 9: 0.1}
    b = {0: 0.72, 1: 0.65, 2: 0.79, 3: 0.80, 7: 0.9}
    result = wilcoxon_folds(a, b)
    expected = stats.wilcoxon([0.72, 0.65, 0.79, 0.80], [0.70, 0.60, 0.80, 0.75])
    assert result.pvalue == pytest.approx(expected.pvalue) and result.n == 4
    assert result.note == NO_POWER
    same = wilcoxon_folds([0.5] * 7, [0.5] * 7)
    assert (same.pvalue, same.note) == (1.0, "no differences")
    assert wilcoxon_folds({0: 1.0}, {1: 1.0}) is None
    with pytest.raises(ValueError, match="same length"):
        wilcoxon_folds([1.0, 2.0], [1.0])
