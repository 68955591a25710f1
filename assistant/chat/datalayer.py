"""Chainlit's SQL data layer, with a guest's user row written only when its first chat is.

Chainlit writes a user row at every sign-in and at every request of a user it has no row for, so
each anonymous visit of the Career guide used to leave one (issue 13: 50 anonymous calls, 50
rows). Here a guest is a user in memory until a thread is stored for it; its row then gets the
guest's identifier as its id, so the same guest finds the same row after a restart.

The same class serves SQLite (``chat.db``) and Postgres (``ASSISTANT_DATABASE_URL``): its own SQL
is the subset both speak (``ON CONFLICT DO NOTHING``, parameters Postgres can cast).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from chainlit.data.sql_alchemy import SQLAlchemyDataLayer
from chainlit.user import PersistedUser, User
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import sessionmaker

from assistant.chat.auth import GUEST_PREFIX


class ChatDataLayer(SQLAlchemyDataLayer):
    def __init__(self, conninfo: str, **options) -> None:
        super().__init__(conninfo, **options)
        if conninfo.startswith("postgresql"):
            # Check a pooled connection before use: one the database dropped (a restart, a
            # failover) is replaced, instead of failing a write the base class only logs.
            self.engine = create_async_engine(conninfo, pool_pre_ping=True)
            self.async_session = sessionmaker(bind=self.engine, expire_on_commit=False, class_=AsyncSession)

    async def create_user(self, user: User) -> PersistedUser | None:
        if not user.identifier.startswith(GUEST_PREFIX):
            return await super().create_user(user)
        stored = await self.get_user(user.identifier)
        if stored is not None:
            return stored
        return PersistedUser(id=user.identifier, identifier=user.identifier, metadata=dict(user.metadata),
                             createdAt=datetime.now(UTC).isoformat(), display_name=user.display_name)

    async def update_thread(self, thread_id: str, name=None, user_id=None, metadata=None, tags=None):
        if user_id and user_id.startswith(GUEST_PREFIX):
            await self._store_guest(user_id)
        return await super().update_thread(thread_id, name=name, user_id=user_id, metadata=metadata, tags=tags)

    async def _store_guest(self, identifier: str) -> None:
        """Write the guest's row, once (its first chat, the moment it has something to own)."""
        await self.execute_sql(
            query='INSERT INTO users ("id", "identifier", "createdAt", "metadata") '
                  "VALUES (:id, :identifier, :createdAt, :metadata) ON CONFLICT DO NOTHING",
            parameters={"id": identifier, "identifier": identifier, "createdAt": datetime.now(UTC).isoformat(),
                        "metadata": json.dumps({"role": "student", "provider": "guest"})},
        )
