"""The placement-quality benchmark (issue #5): real traces replayed through a simulator of
several factories, each with its own EASY-backfilling queue, under several broker policies.
Not a Django app: plain Python, driven by `antenna bench placement`."""
