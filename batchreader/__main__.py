"""``python -m batchreader`` runs the command line."""

from batchreader.cli import main

main()
