"""Running a plan: one engine loop, pluggable executors, step output capture."""
