"""press-monitor spiders; each reads its sources from the database."""
