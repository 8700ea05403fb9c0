"""GitHub integration: one client (client.py), a pull-request sync (sync.py) and webhooks (webhooks.py)."""
