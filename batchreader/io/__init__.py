"""Input and output: scans in (``pages``), results out (``results``, ``atomic``), and the
journal that makes a scan resumable (``journal``).

Takes paths; gives decoded 8-bit grayscale pages, and writes CSV files that appear
whole or not at all. Imports nothing from the later stages.
"""
