import numpy as np

from training.evaluate import ece_chance_quantiles, ece_sampling_bound, expected_calibration_error


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


def test_the_calibration_gate_reads_chance_like_a_traffic_light():
    # given a holdout of 1,000 rows with exact PDs, outcomes drawn from them, and the same PDs halved or tripled
    from training.promote import ECE_FAIL_QUANTILE, ECE_WARN_QUANTILE

    rng = np.random.default_rng(13)
    p = rng.beta(1.5, 12, 1000)
    warn, fail = ece_chance_quantiles(p, (ECE_WARN_QUANTILE, ECE_FAIL_QUANTILE), draws=4000)
    # then the red line lies beyond the yellow one, and a model off by a factor of 2.5 or 3 is red
    assert warn < fail
    draws = [(rng.random(len(p)) < p).astype(int) for _ in range(300)]
    exact = np.array([expected_calibration_error(y, p) for y in draws])
    assert np.mean(exact >= fail) < 0.01  # exact PDs are almost never red ...
    assert np.mean(exact >= warn) > 0.01  # ... though some are yellow by chance alone
    for off in (p / 2.5, np.clip(p * 3, 0, 1)):  # the gate takes the chance ECE of the model's own PDs
        red = ece_chance_quantiles(off, (ECE_FAIL_QUANTILE,), draws=4000)[0]
        assert np.mean([expected_calibration_error(y, off) >= red for y in draws]) > 0.9
