"""Train, tune, evaluate, track and register credit models."""
