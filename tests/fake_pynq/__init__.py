"""Test doubles for the board side: a fake ``pynq`` package and overlay files (.bit, .hwh)."""
