"""Persistence for press-monitor: models, engine and session setup, migrations, queries.

Every other package meets here; storage imports none of them.
"""
