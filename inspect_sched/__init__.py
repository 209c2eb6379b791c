"""inspect-sched: 双随机、一公开 random inspection scheduler."""

__version__ = "0.1.0"
