"""Policy-feed tracking: fetch, parse, decide, store, index, digest.

    feeds.toml / OPML ──▶ sources ──▶ store (subscriptions)
    refresh: fetch (httpx) ─▶ parse (feedparser) ─▶ decide (new/changed/same) ─▶ store (versions)
    index_updates: pending relevant items ─▶ Document(policy_update) ─▶ index.replace
    digest: store ─▶ updates list, Markdown digest, Atom feed

Modules import lazily from each other and this package imports nothing, so
``assistant.feeds.store.feed_status`` stays cheap for ``assistant status``.
"""
