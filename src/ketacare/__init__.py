"""KetaCare: an open platform for ketamine and esketamine clinics."""

__version__ = "0.1.0"
