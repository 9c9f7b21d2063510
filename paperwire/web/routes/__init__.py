"""Routers, one module per group of pages; ``web.app`` includes each with one line."""
