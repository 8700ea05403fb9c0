"""Native payload adapters: each turns one product's webhook body into Gatehouse events (see registry.py)."""
