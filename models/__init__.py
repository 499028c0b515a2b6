"""The decision: policy, eligibility rules, credit model, scaling, explanations and the Decision."""
