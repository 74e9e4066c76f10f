"""Segmentation: a grayscale page in, candidate glyphs out.

``ink`` tells strokes from paper (whatever the light or background), ``boxes`` and
``lines`` find and erase printed cells and rules, ``glyphs`` groups the remaining
strokes into glyphs on lines and fields, and ``cuts`` proposes where a glyph may be cut
into touching digits. Knows nothing of the classifier.
"""
