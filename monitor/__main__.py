"""`python -m monitor` is the same as `press-monitor`."""

from monitor.launch import main

main()
