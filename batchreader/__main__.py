"""``python -m batchreader`` runs the command line."""

from batchreader.cli import main

if __name__ == "__main__":  # not again in the processes that training's field generation spawns
    main()
