"""The clinical core: plain Python, no framework imports, readable by a clinician."""
