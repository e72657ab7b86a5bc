"""Thin adapters over pipeline.run: the browser bridge (Pyodide), the command line, and the
facts the page is built with."""
