"""The shipped model files (installed as package data from the top-level models/ folder)."""
