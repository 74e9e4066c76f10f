"""Reading: glyphs in, chosen digits and result rows out.

``normalize`` frames a glyph as an MNIST digit (shared with training), ``inference``
runs the saved CNN in NumPy, ``classify`` loads a verified model (``modelcard``) and
gives calibrated probabilities of the ``classes``, ``reading`` chooses readings and
cuts, ``fieldkind`` tells numbers from words, print and furniture, and ``fields``
turns the choices into rows. Never imports TensorFlow.
"""
