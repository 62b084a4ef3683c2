"""Schedules: cron and interval triggers (croniter lives here and nowhere else)."""
