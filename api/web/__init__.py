"""The web page for compliance staff: templates, static files and the plumbing its routes (api/routers/web.py) use."""
