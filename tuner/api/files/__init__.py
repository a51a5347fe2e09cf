"""Files on a service: checked uploads, what was uploaded before, downloads."""
