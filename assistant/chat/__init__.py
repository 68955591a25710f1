"""What the chat app shows, decided without Chainlit: the app (``app.py``) only wires events to these.

config    ChatConfig: who may use what, where chat history lives (env ``ASSISTANT_*``)
auth      staff passwords (scrypt hashes from a file or the environment), guest identities
profiles  "Career guide" and "Policy desk": welcome text, starters, commands, default filters
panel     the settings panel, and its values turned into ``Filters`` and a number of sources
guards    what a message may be before it is searched (empty, too long)
memory    what a chat remembers (place, background, goal) and the ``ask`` options it implies
answering a question run through ``Service.ask_stream`` in a worker thread, streamed back
render    an ``Answer`` as message text plus one side card per numbered source
cards     the occupation card (pay here and nationally, outlook, education, tasks, related jobs)
careers   the charts' figures from the imported official data (careers compared, pay across a state)
visuals   which card and charts go with an answer
planning  "Make me a plan": its inputs from the conversation, the checklist
markup    escaping, so no text from a user, a document or a feed is ever read as markup
charts    PNG charts: careers compared (pay, growth), pay across a state, policy updates per week
routes    HTTP routes beside Chainlit's: past chats' files, staff sign-in, auth config
updates   the feeds subsystem seen from the chat: this week's changes, digest, refresh
history   Chainlit's tables on SQLite or Postgres, and a file store, so past chats keep their sources
staff     the app's own staff accounts: staff.toml, or a Postgres table every replica shares
signins   the sign-in ledger (failures, ended sessions, new guests): signin.db or Postgres
database  one Postgres connection per store, reopened after the database dropped it
"""
