import numpy as np

from training.evaluate import ece_sampling_bound, expected_calibration_error


def test_exact_pds_stay_under_the_ece_noise_bound_about_95_times_in_100():
    # given exact PDs on a small holdout, and outcomes drawn from them
    rng = np.random.default_rng(11)
    p = rng.beta(1.5, 10, 170)
    bound = ece_sampling_bound(p)
    # when
    errors = np.array([expected_calibration_error((rng.random(len(p)) < p).astype(int), p) for _ in range(400)])
    # then: on 170 rows the chance ECE alone is above a fixed 0.05 bound most of the time
    assert 0.90 < np.mean(errors < bound) < 0.99
    assert np.mean(errors > 0.05) > 0.5 and bound > 0.05


def test_the_noise_bound_shrinks_with_rows_and_misses_miscalibration():
    # given
    rng = np.random.default_rng(12)
    p = rng.beta(1.5, 10, 5000)
    y = (rng.random(len(p)) < p).astype(int)
    # when
    bound = ece_sampling_bound(p)
    # then
    assert bound < ece_sampling_bound(p[:200]) and bound < 0.05
    assert expected_calibration_error(y, p) < bound < expected_calibration_error(y, np.clip(p * 1.6, 0, 1))
