"""Feature builders: raw sources to one row of household features per request, at its own as-of date."""
