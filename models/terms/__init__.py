"""The offer: product, limit, rate and subsidy split (subsidised 共富 terms and the bank's normal terms)."""
