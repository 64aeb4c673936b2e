"""The HTTP routes, one module per area; each route declares its role beside itself (see api/deps.py)."""
