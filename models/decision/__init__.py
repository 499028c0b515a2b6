"""The Decision that combines rules, model, explanation and terms, and its review note."""
