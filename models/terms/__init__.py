"""The offer: product, limit, rate and subsidy split, and whether an offer can be signed (``models.terms.check``)."""
