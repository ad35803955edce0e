#!/usr/bin/env python3
"""Placeholder for membership-state.py (membership 'dynamic'): the real file is written on the
dynscripts branch and replaces this one when the branches are merged."""
import sys

sys.exit("membership-state.py: not built yet")
