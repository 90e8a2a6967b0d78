"""`migrate verify`: prove a migrated PyTorch module computes what its Keras model computes.

The public API (`verify`, `assert_equivalent`, `Report`) is filled in by the modules of this
package; `speed.py` (the `--speed` table) is its own module.
"""
