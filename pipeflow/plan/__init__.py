"""The step graph (dependencies, cycles, selection) and the planner's per-step decisions."""
