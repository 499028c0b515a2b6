"""The county simulator: a Shengsi county with a known story (households, bank records, forms, loans, mess)."""
