"""What analysts and the press see in a browser: the Flask app, its templates and static files.

Layering: web -> alerts -> storage. The web package never imports nlp or crawler; what it
needs from them (the diacritics folding for search) is passed in by monitor/wiring.py.
"""
