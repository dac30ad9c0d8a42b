"""Audit entries are not in the admin: auditors read them through the audit pages."""
