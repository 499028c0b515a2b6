"""Dataset configs and the public German Credit table shipped with kuozhong (see ATTRIBUTION.txt)."""
