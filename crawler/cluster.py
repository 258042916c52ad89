"""One crawl shared by crawler processes on any number of machines, on scrapy-redis.

scrapy-redis keeps the request queue and the duplicate filter in Redis, so every crawler
process pops from one queue and an article linked by two feeds is fetched once. What it
does not do is keep a request that a process has popped: its queues pop and forget, so a
crawler killed with SIGKILL would lose everything it had in flight. ``LeasedQueue`` closes
that gap with a lease, as a reliable queue does:

- pop moves the request, in one Lua script, from the queue into the process's in-flight
  hash (``<queue>:inflight:<host>:<pid>``);
- the lease is released (acknowledged) only after what the response produced is committed:
  the spider's output has been consumed (``LeaseMiddleware``, or the errback for a failed
  fetch) and handled (Scrapy takes that output ahead of the item pipelines and the
  scheduler: the lease waits while the scraper still holds the response), then the storage
  pipeline's buffered articles are flushed, then the lease goes (``ClusterCrawl`` does both
  once a second);
- a request the duplicate filter has not seen is marked seen and queued in one Lua script
  (``LeasedScheduler``): a process killed between the two would leave an article marked
  seen in no queue, refused to every feed that links it;
- every live process refreshes its score in ``<prefix>:crawlers`` every second; any process
  that finds a process silent for ``dead_after`` seconds moves that process's in-flight
  requests back into the queue, where the others take them up.

A request may thus be fetched twice (a process killed after committing, before releasing),
never lost; storing is idempotent (unique canonical URL and content hash), so fetching twice
stores nothing twice. When Redis itself restarts without persistence, the queue is gone:
the scheduler enqueues the sources again at their next due time, and entries still waiting
for their article are followed again by their feed (``items_needing_fulltext``). So is an
article whose fetch failed for a passing reason after Scrapy's retries (a timeout, a 5xx):
the duplicate filter forgets it, or it would refuse it for its whole window.

Sources reach the crawlers as JSON ``{"source_id": N}`` on ``<prefix>:<spider>:start_urls``
(scrapy-redis's start URL list), pushed by the scheduler when a source is due; any idle
crawler turns one into the source's requests, read from the database as in a single run.
The same lease covers them: a batch of sources moves, in one Lua script, into the process's
in-flight list (``<start list>:inflight:<host>:<pid>``), and each source leaves it once its
requests are queued; a silent process's sources go back to the head of the start list.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import time
from collections.abc import AsyncIterator, Container, Iterable, Iterator
from typing import Any

import redis
import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.http import Response
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler
from scrapy_redis.spiders import RedisMixin
from twisted.internet import task
from twisted.python.failure import Failure

from crawler.items import FetchFailure
from crawler.spiders.base import SourceSpider
from storage.models import Source

log = logging.getLogger(__name__)

LEASE = "press_monitor_lease"
# Pop the best request and keep it in this process's in-flight hash, under its SHA-1.
_POP = """
local popped = redis.call('zpopmin', KEYS[1])
if #popped == 0 then return false end
local id = redis.sha1hex(popped[1])
redis.call('hset', KEYS[2], id, popped[1])
return {popped[1], id}
"""
# Take a batch of due sources from the start list into this process's in-flight list.
_TAKE = """
local taken = redis.call('lrange', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #taken == 0 then return {} end
redis.call('ltrim', KEYS[1], #taken, -1)
redis.call('rpush', KEYS[2], unpack(taken))
return taken
"""
# Put a process's in-flight sources back at the head of the start list.
_RETURN_SOURCES = """
local held = redis.call('lrange', KEYS[1], 0, -1)
for i = #held, 1, -1 do redis.call('lpush', KEYS[2], held[i]) end
redis.call('del', KEYS[1])
return #held
"""
# Queue a request unless the duplicate filter has seen it: both or neither, so a crawler
# killed in between cannot leave a request marked seen that is in no queue.
_PUSH_UNSEEN = """
if redis.call('sadd', KEYS[2], ARGV[3]) == 0 then return 0 end
redis.call('expire', KEYS[2], tonumber(ARGV[4]), 'NX')
redis.call('zadd', KEYS[1], ARGV[1], ARGV[2])
return 1
"""
# Put a dead process's in-flight requests back into the queue.
_REQUEUE = """
local held = redis.call('hvals', KEYS[1])
for i = 1, #held do redis.call('zadd', KEYS[2], 0, held[i]) end
redis.call('del', KEYS[1])
return #held
"""


def consumer_id() -> str:
    """This process, as the cluster names it."""
    return f"{socket.gethostname()}:{os.getpid()}"


def crawlers_key(prefix: str) -> str:
    return f"{prefix}:crawlers"


def start_key(prefix: str, spider: str) -> str:
    """The list a scheduler pushes due sources to, for one spider."""
    return f"{prefix}:{spider}:start_urls"


class LeasedQueue(PriorityQueue):
    """scrapy-redis's priority queue, with a lease on every popped request (see above)."""

    def __init__(self, server: Any, spider: Any, key: str, serializer: Any = None) -> None:
        super().__init__(server, spider, key, serializer)
        self.consumer = consumer_id()
        self.inflight_key = f"{self.key}:inflight:{self.consumer}"
        self.finished: list[tuple[str, scrapy.Request]] = []
        self._pop = server.register_script(_POP)
        self._push_unseen = server.register_script(_PUSH_UNSEEN)
        self._requeue = server.register_script(_REQUEUE)
        spider.lease_queue = self

    def push(self, request: scrapy.Request) -> None:
        # A redirect or a retry is a new request carrying its parent's meta: once it is in
        # the queue, the parent's lease has done its job.
        self.release(request)
        try:
            super().push(request)
        except redis.ConnectionError as exc:
            log.warning("redis unreachable, request dropped until its source is due: %s", exc)

    def push_unseen(self, request: scrapy.Request, dupefilter: ExpiringDupeFilter) -> bool:
        """Queue ``request`` unless ``dupefilter`` has seen it, marking it seen, in one
        step; whether it was queued."""
        self.release(request)
        data = self._encode_request(request)
        fingerprint = dupefilter.request_fingerprint(request)
        try:
            return bool(
                self._push_unseen(
                    keys=[self.key, dupefilter.key],
                    args=[-request.priority, data, fingerprint, dupefilter.ttl],
                )
            )
        except redis.ConnectionError as exc:
            log.warning("redis unreachable, request dropped until its source is due: %s", exc)
            return False

    def pop(self, timeout: int = 0) -> scrapy.Request | None:
        try:
            popped = self._pop(keys=[self.key, self.inflight_key])
        except redis.ConnectionError as exc:
            log.warning("redis unreachable: %s", exc)
            return None
        if not popped:
            return None
        data, lease = popped
        request = self._decode_request(data)
        request.meta[LEASE] = lease.decode() if isinstance(lease, bytes) else lease
        return request

    def __len__(self) -> int:
        try:
            return super().__len__()
        except redis.ConnectionError:
            return 0

    def release(self, request: scrapy.Request) -> None:
        """The spider is done with the request's output: its lease goes at the first
        acknowledgement after that output has been processed."""
        lease = request.meta.pop(LEASE, None)
        if lease:
            self.finished.append((lease, request))

    def acknowledge(self, busy: Container[scrapy.Request] = ()) -> int:
        """Drop the leases of finished requests, but not of those in ``busy`` (their output
        is still on its way through the item pipelines and the scheduler); call only after
        the items of the others are committed."""
        done = [(lease, r) for lease, r in self.finished if r not in busy]
        if not done:
            return 0
        self.finished = [(lease, r) for lease, r in self.finished if r in busy]
        try:
            self.server.hdel(self.inflight_key, *(lease for lease, _ in done))
        except redis.ConnectionError:
            self.finished = done + self.finished
            return 0
        return len(done)

    def requeue(self, consumer: str) -> int:
        """Move ``consumer``'s in-flight requests back into the queue."""
        return int(self._requeue(keys=[f"{self.key}:inflight:{consumer}", self.key]))


class ExpiringDupeFilter(RFPDupeFilter):
    """scrapy-redis's shared duplicate filter, forgetting everything once per window
    (PRESS_MONITOR_DUPEFILTER_SECONDS), so an article that failed is tried again later, and
    never cleared when a crawler stops (other crawlers still use it)."""

    ttl = 86_400

    @classmethod
    def from_spider(cls, spider: scrapy.Spider) -> ExpiringDupeFilter:
        dupefilter = super().from_spider(spider)
        dupefilter.ttl = spider.settings.getint("PRESS_MONITOR_DUPEFILTER_SECONDS", cls.ttl)
        return dupefilter

    def request_seen(self, request: scrapy.Request) -> bool:
        try:
            seen = super().request_seen(request)
            self.server.expire(self.key, self.ttl, nx=True)
        except redis.ConnectionError:
            return False
        return bool(seen)

    def close(self, reason: str = "") -> None:
        """Shared with the other crawlers: kept."""

    def forget(self, request: scrapy.Request) -> None:
        """``request`` failed for a passing reason: its next request (the next run of its
        source, ``items_needing_fulltext``) is let through."""
        original = request.meta.get("redirect_urls", [request.url])[0]
        with contextlib.suppress(redis.ConnectionError):
            self.server.srem(self.key, self.request_fingerprint(request.replace(url=original)))


class LeasedScheduler(Scheduler):
    """scrapy-redis's scheduler, with the duplicate filter's mark and the queue's push in
    one Redis script (``LeasedQueue.push_unseen``)."""

    def open(self, spider: scrapy.Spider) -> None:
        super().open(spider)
        if isinstance(self.df, ExpiringDupeFilter):
            spider.shared_dupefilter = self.df

    def enqueue_request(self, request: scrapy.Request) -> bool:
        if (
            request.dont_filter
            or not isinstance(self.queue, LeasedQueue)
            or not isinstance(self.df, ExpiringDupeFilter)
        ):
            return bool(super().enqueue_request(request))
        if not self.queue.push_unseen(request, self.df):
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis", spider=self.spider)
        return True


class ClusterSpider(RedisMixin):
    """What a press-monitor spider needs to take its sources from Redis: mixed in before the
    spider's class (``cluster_spider``)."""

    lease_queue: LeasedQueue | None = None
    shared_dupefilter: ExpiringDupeFilter | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Any:
        spider = super().from_crawler(crawler, *args, **kwargs)  # type: ignore[misc]
        spider.setup_redis(crawler)
        return spider

    def setup_redis(self, crawler: Crawler | None = None) -> None:
        super().setup_redis(crawler)  # type: ignore[misc]
        self._take_sources = self.server.register_script(_TAKE)
        self._return_sources = self.server.register_script(_RETURN_SOURCES)

    def sources_inflight_key(self, consumer: str | None = None) -> str:
        """The list of due sources ``consumer`` (this process) took and has not queued yet."""
        return f"{self.redis_key}:inflight:{consumer or consumer_id()}"

    def pop_list_queue(self, redis_key: str, batch_size: int) -> list[bytes]:
        """A batch of due sources, kept in this process's in-flight list until their
        requests are in the queue (``next_requests``): a crawler killed in between loses
        none of them (``requeue_sources``)."""
        return list(
            self._take_sources(keys=[redis_key, self.sources_inflight_key()], args=[batch_size])
        )

    def next_requests(self) -> Iterator[scrapy.Request]:
        """The requests of a batch of due sources; scrapy-redis queues each one before it
        asks for the next, so a source leaves the in-flight list once its last request is
        queued. A source that could not be read goes back to the start list."""
        inflight = self.sources_inflight_key()
        for data in self.fetch_data(self.redis_key, self.redis_batch_size):
            try:
                requests = self.make_request_from_data(data)
            except Exception:
                log.exception("source %r not read, back to the start list", data[:200])
                with self.server.pipeline() as pipe:
                    pipe.lrem(inflight, 1, data).rpush(self.redis_key, data).execute()
                continue
            yield from requests
            self.server.lrem(inflight, 1, data)

    def requeue_sources(self, consumer: str) -> int:
        """Put the sources ``consumer`` took and did not queue back on the start list."""
        return int(self._return_sources(keys=[self.sources_inflight_key(consumer), self.redis_key]))

    async def start(self) -> AsyncIterator[scrapy.Request]:
        """Nothing at start: sources arrive on the start list when due."""
        return
        yield  # an async generator

    def spider_idle(self) -> None:
        """scrapy-redis's idle handler, kept alive through a Redis outage (it would let the
        spider close as finished): the crawler waits for Redis to come back."""
        try:
            super().spider_idle()
        except redis.ConnectionError as exc:
            log.warning("redis unreachable, waiting: %s", exc)
            raise DontCloseSpider from None

    def make_request_from_data(self, data: bytes) -> list[scrapy.Request]:
        try:
            source_id = int(json.loads(data)["source_id"])
        except (ValueError, KeyError, TypeError):
            log.error("unreadable source on %s: %r", self.redis_key, data[:200])
            return []
        with self.db.session() as session:  # type: ignore[attr-defined]
            source = session.get(Source, source_id)
            if source is None or not source.enabled:
                return []
            session.expunge(source)
        self._links_followed.pop(source_id, None)  # type: ignore[attr-defined]
        out = list(self.requests_for(source))  # type: ignore[attr-defined]
        requests = [r for r in out if isinstance(r, scrapy.Request)]
        if len(requests) < len(out):
            log.info(
                "source %s: %d items at start not recorded", source_id, len(out) - len(requests)
            )
        return requests

    def request(self, *args: Any, **kwargs: Any) -> scrapy.Request:
        """Article pages pass the shared duplicate filter: fetched once by the cluster."""
        request = super().request(*args, **kwargs)  # type: ignore[misc]
        if request.meta.get("article"):
            request = request.replace(dont_filter=False)
        return request

    def failed(self, failure: Failure) -> Iterator[Any]:
        for element in super().failed(failure):  # type: ignore[misc]
            self.note(element, failure.request)  # type: ignore[attr-defined]
            yield element
        self.release(failure.request)  # type: ignore[attr-defined]

    def note(self, element: Any, request: scrapy.Request) -> None:
        """An article that failed for a passing reason (a timeout, a 5xx after Scrapy's
        retries) is fetched again by the next run of its source, as in a single-process
        crawl: the shared duplicate filter would refuse it for its whole window."""
        if (
            isinstance(element, FetchFailure)
            and element.article
            and not element.permanent
            and self.shared_dupefilter is not None
        ):
            self.shared_dupefilter.forget(request)

    def release(self, request: scrapy.Request) -> None:
        if self.lease_queue is not None:
            self.lease_queue.release(request)


def cluster_spider(spider_cls: type[SourceSpider]) -> type[SourceSpider]:
    """The spider class that takes its sources from Redis, under the same name."""
    return type(f"Cluster{spider_cls.__name__}", (ClusterSpider, spider_cls), {})


class LeaseMiddleware:
    """Releases a request's lease once the spider's output for its response is consumed
    (each item has then passed the item pipelines)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LeaseMiddleware:
        return cls(crawler)

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        try:
            for element in result:
                self._note(element, response)
                yield element
        finally:  # a callback that raised is logged by Scrapy; fetching again will not help
            self._release(response)

    async def process_spider_output_async(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        try:
            async for element in result:
                self._note(element, response)
                yield element
        finally:
            self._release(response)

    def _note(self, element: Any, response: Response) -> None:
        note = getattr(self.crawler.spider, "note", None)
        if note is not None and response.request is not None:
            note(element, response.request)

    def _release(self, response: Response) -> None:
        release = getattr(self.crawler.spider, "release", None)
        if release is not None and response.request is not None:
            release(response.request)


class ClusterCrawl:
    """Once a second: commit buffered items, then release the leases of finished requests;
    say this process is alive; give the requests of silent processes to the queue."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.prefix = settings.get("PRESS_MONITOR_CLUSTER_PREFIX")
        if not self.prefix:
            raise NotConfigured("not a cluster crawl")
        self.crawler = crawler
        self.dead_after = settings.getfloat("PRESS_MONITOR_DEAD_AFTER", 60)
        self.consumer = consumer_id()
        self.loop: task.LoopingCall | None = None
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ClusterCrawl:
        return cls(crawler)

    def opened(self, spider: scrapy.Spider) -> None:
        self.spider = spider
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(1.0, now=True)

    def closed(self, spider: scrapy.Spider) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.commit()
        queue = getattr(spider, "lease_queue", None)
        if queue is not None:  # what this process still held goes back to the others
            queue.requeue(self.consumer)
        if isinstance(spider, ClusterSpider):
            spider.requeue_sources(self.consumer)

    def tick(self) -> None:
        try:
            self.commit()
            server = self.spider.server
            now = time.time()
            server.zadd(crawlers_key(self.prefix), {self.consumer: now})
            self.reap(server, now)
        except redis.ConnectionError as exc:
            log.warning("redis unreachable: %s", exc)
        except Exception:  # the loop must go on, or leases would never be released
            log.exception("cluster bookkeeping failed")

    def commit(self) -> None:
        scraper = self.crawler.engine.scraper
        # Scrapy takes a callback's output a batch ahead of the workers that send it to the
        # item pipelines and the scheduler, so the spider may be done with a response whose
        # items and requests are not handled yet: its lease waits while the scraper still
        # holds the response (all of this runs between two turns of the reactor).
        slot = getattr(scraper, "slot", None)
        busy = slot.active if slot is not None else ()
        stored = True
        for pipeline in scraper.itemproc.middlewares:
            flush = getattr(pipeline, "flush", None)
            if flush is not None and flush() is False:
                stored = False  # articles wait for the next flush: so do all leases
        queue = getattr(self.spider, "lease_queue", None)
        if queue is not None and stored:
            queue.acknowledge(busy)

    def reap(self, server: Any, now: float) -> None:
        queue = getattr(self.spider, "lease_queue", None)
        if queue is None:
            return
        key = crawlers_key(self.prefix)
        for member in server.zrangebyscore(key, 0, now - self.dead_after):
            dead = member.decode() if isinstance(member, bytes) else member
            moved = queue.requeue(dead)
            if moved:
                log.warning("crawler %s is silent: %d of its requests requeued", dead, moved)
            if isinstance(self.spider, ClusterSpider) and (
                sources := self.spider.requeue_sources(dead)
            ):
                log.warning("crawler %s is silent: %d of its sources requeued", dead, sources)
            # the score goes once every spider of this process had its turn at that
            # process's in-flight hashes; a dead process has no other spider keys left
            if not server.keys(f"{self.prefix}:*:inflight:{dead}"):
                server.zrem(key, member)
