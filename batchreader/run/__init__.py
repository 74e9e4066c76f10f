"""Running a scan: input paths in, a results CSV out.

``pipeline`` drives the stages over every file and page and writes the CSV through
the journal; ``workers`` runs files here, in worker processes or (``distributed``)
on a Dask cluster, each with one thread (``threads``).
"""
