"""Data alerts in the web app: published results per municipality and GP practice (docs/alerts.md)."""
