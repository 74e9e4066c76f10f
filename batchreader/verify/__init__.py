"""Checking results: by a person (the HTML review ``report`` and its ``corrections``)
or against ground truth (``scoring``).

Takes results CSVs (and the scans, for crops); gives reports, corrected CSVs and
scores.
"""
