"""Lantern's server: stores and relays sealed envelopes; never reads one."""
