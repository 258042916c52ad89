"""press-monitor's Scrapy project (settings, spiders, item pipelines) and its crawl runners."""

# The garbage collector's thresholds for a process that builds a large heap once and then
# works: young objects collected every 10,000 allocations instead of CPython's 700. Set for
# the crawl (crawl.tune_gc: Twisted's Deferreds and Scrapy's requests are many short-lived
# objects) and from the command line's first line on (monitor/launch.py).
GC_THRESHOLDS = (10_000, 20, 20)
