"""Facts derived from parsed Python modules (FastAPI apps, routers, routes...).

The parser (analyzer.parsers.python) keeps the `ast` tree of each file; the
modules here turn one tree into plain frozen records that file rules and the
judge both read, without reading any file a second time.
"""
