"""Explanations: TreeSHAP reasons and points, their sentences, and what would change the outcome."""
