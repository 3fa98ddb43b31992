"""Deploying firmware to a board over the link: bundle.py builds, deploy.py sends and switches.

See docs/deploy.md.
"""
