#!/usr/bin/env python3
"""The GitHub Action's entry point: GitHub environment in, gate verdict out (all logic: gate/action.py)."""

from __future__ import annotations

import sys

from gate.entry import action

if __name__ == "__main__":
    sys.exit(action())
