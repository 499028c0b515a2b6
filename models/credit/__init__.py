"""The credit model: monotone LightGBM members, calibration and score scaling, parameter checks."""
