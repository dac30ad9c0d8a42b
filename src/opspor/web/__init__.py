"""The Django project: settings, URLs and the web entry points."""
