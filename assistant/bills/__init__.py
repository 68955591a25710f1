"""Federal bill tracking from GovInfo's BILLSTATUS records: fetch, parse, decide, store, index, answer.

    ids: "H.R. 6655" ─▶ BillRef(118, "hr", 6655) ─▶ key 118-hr-6655, file URL, congress.gov URL
    refresh: fetch (feeds.fetch, httpx) ─▶ parse (pure, pyexpat) ─▶ decide (what changed) ─▶ store (versions)
    refresh.sync_index: versions not yet indexed ─▶ Document(policy_update) ─▶ index.replace
    desk: question ─▶ bill numbers ─▶ latest stored version ─▶ Facts (status, timeline, sponsors)

This package imports nothing, so importing ``assistant.bills.store`` stays cheap.
"""
