"""The touchpoint list: entries, the review path, approved versions."""
