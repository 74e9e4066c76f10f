"""Training and evaluating the models; the only place TensorFlow is imported (``keras_env``).

``digits`` trains the digit CNN (``model``) on MNIST with ``augment``, ``finetune``
learns from a reviewer's corrections, ``fieldtrain`` trains the field model on
``fieldsynth``'s generated fields, and ``evaluation`` and ``plots`` score models.
``pagesynth`` and ``stripsynth`` generate pages and amount strips with known truth
(for tests, samples and benchmarks), drawing on the vendored ``fonts``.
"""
