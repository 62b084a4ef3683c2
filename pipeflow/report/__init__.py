"""Showing a run and a pipeline to people and machines: console lines, plans, graph drawings."""
