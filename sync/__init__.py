"""Lantern's sync protocol: the envelope format, the wire types and a Python client."""
