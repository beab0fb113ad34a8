"""smartjobs benchmarks: figures against baselines measured in the same run (``make bench``).

Suites: ``client``, ``ack``, ``answer``, ``load``, ``digest``, ``watch``, ``package``; see ``bench/README.md``.
"""

SUITES = ("client", "ack", "answer", "load", "digest", "watch", "package")
