"""`python -m monitor` is the same as `press-monitor`."""

from monitor.cli import main

main()
