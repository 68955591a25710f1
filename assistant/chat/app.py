"""The chat UI (Chainlit): wiring only. Events call ``assistant.chat`` and the ``Service``.

Run it with ``assistant serve`` (``server.py``), or ``chainlit run app.py`` in a checkout. This
file translates between Chainlit's objects and the plain ones of ``assistant/chat/``, and is the
only module using Chainlit's chat API (``routes.py`` adds HTTP routes beside Chainlit's own).
"""

from __future__ import annotations

import asyncio
import logging
import os

import chainlit as cl
from chainlit.config import config as chainlit_config
from chainlit.context import ChainlitContextException
from chainlit.input_widget import DatePicker, MultiSelect, Select, Slider, Switch, TextInput

from assistant.chat import auth, guards, history, markup, panel, planning, profiles, render, routes, sessions, updates, visuals
from assistant.chat import bills as bill_chat
from assistant.chat import memory as chat_memory
from assistant.chat.answering import AnswerFailed, Turn, history_before, stream_answer
from assistant.chat.datalayer import ChatDataLayer
from assistant.chat.answering import Request as AnswerRequest
from assistant.chat.runtime import Runtime
from assistant.conversation import Memory
from assistant.errors import AssistantError
from assistant.types import Answer

STAFF_COOKIE = routes.STAFF_COOKIE
log = logging.getLogger(__name__)
_runtime: Runtime | None = None


def runtime() -> Runtime:
    """The process's one ``Runtime`` (one ``Service``, one model), built on first use."""
    global _runtime
    if _runtime is None:
        _runtime = Runtime.from_env(os.environ)
    return _runtime


# -- people --------------------------------------------------------------------------------


def _user() -> cl.User | None:
    return cl.user_session.get("user")


def _is_staff(user) -> bool:
    """Whether ``user`` is staff now: the account list decides on every use, never the role in
    the sign-in token or the chat database; a signed-out session has no staff rights (issue 13)."""
    if user is None or not runtime().directory.is_staff(user.identifier):
        return False
    token = _session_token()
    return token is None or sessions.session_open(token)


def _session_token() -> str | None:
    """The sign-in token of this chat's connection; None outside one (an HTTP request, a test)."""
    try:
        return cl.context.session.token
    except ChainlitContextException:
        return None


_to_user = sessions.user_of


@cl.password_auth_callback
async def password_login(username: str, password: str) -> cl.User | None:
    identity = await asyncio.to_thread(runtime().sign_in, username, password, address=sessions.CLIENT_ADDRESS.get())
    return _to_user(identity) if identity else None


@cl.header_auth_callback
async def guest_login(headers) -> cl.User | None:
    """Students need no account: each new browser becomes its own guest (when the setting allows),
    up to ``Limits.guests_per_hour`` new guests per client address."""
    rt = runtime()
    if not rt.chat.open_career_guide or routes.staff_signin_requested(headers.get("cookie")):
        return None
    address = sessions.CLIENT_ADDRESS.get()
    if not await asyncio.to_thread(rt.ledger.admit_guest, address):
        log.warning("guest sign-in refused for %s: too many new guests from there this hour", address or "-")
        return None
    return _to_user(auth.new_guest())


@cl.data_layer
def data_layer() -> ChatDataLayer:
    rt = runtime()
    return ChatDataLayer(history.store_url(database_url=rt.settings.database_url, path=rt.chat.chat_db_path),
                         storage_provider=rt.files)


# -- starting a chat -----------------------------------------------------------------------


@cl.set_chat_profiles
async def chat_profiles(current_user: cl.User | None = None, language: str | None = None) -> list[cl.ChatProfile]:
    return [
        cl.ChatProfile(
            name=p.name,
            markdown_description=p.welcome,
            icon=p.icon,
            default=p.default,
            starters=[cl.Starter(label=s.label, message=s.message, icon=s.icon or None) for s in p.starters],
        )
        for p in profiles.available(staff=_is_staff(current_user))
    ]


def _profile() -> profiles.Profile:
    return profiles.by_name(cl.user_session.get("chat_profile"))


async def _open(profile: profiles.Profile, saved: dict | None = None) -> bool:
    """Send the settings panel and the commands; False when this person may not use ``profile``."""
    staff = _is_staff(_user())
    if profile.staff_only and not staff:
        await cl.Message(content=profiles.STAFF_ONLY).send()
        return False
    defaults = _panel_defaults()
    values = {**panel.initial_values(profile, **defaults), **(saved or {})}
    await cl.ChatSettings([_widget(w, values.get(w.id)) for w in panel.widgets(profile, **defaults)]).send()
    commands = [
        {"id": c.id, "description": c.description, "icon": c.icon, "button": c.button}
        for c in profile.commands_for(staff=staff)
    ]
    await cl.context.emitter.set_commands(commands)
    return True


def _panel_defaults() -> dict:
    """The deployment's home area and memory switch, the panel's starting values."""
    settings = runtime().settings
    return {"home_area": settings.home_area, "remember": settings.conversation_memory}


def _choice(profile: profiles.Profile) -> panel.Choice:
    return panel.read(cl.user_session.get("chat_settings"), profile, **_panel_defaults())


def _widget(spec: panel.Widget, value):
    if spec.kind == "text":
        return TextInput(id=spec.id, label=spec.label, initial=value or "", description=spec.description,
                         placeholder="e.g. Springfield, MA")
    if spec.kind == "switch":
        return Switch(id=spec.id, label=spec.label, initial=bool(value), description=spec.description)
    if spec.kind == "select":
        return Select(id=spec.id, label=spec.label, items=spec.items, initial_value=value, description=spec.description)
    if spec.kind == "multiselect":
        return MultiSelect(
            id=spec.id, label=spec.label, items=spec.items, initial=list(value or []), description=spec.description
        )
    if spec.kind == "date":
        day = panel.parse_day(value)
        return DatePicker(
            id=spec.id, label=spec.label, initial=day.isoformat() if day else None, description=spec.description
        )
    return Slider(id=spec.id, label=spec.label, initial=value, min=spec.min, max=spec.max, step=spec.step,
                  description=spec.description)


@cl.on_chat_start
async def on_chat_start() -> None:
    cl.user_session.set("memory", Memory())
    await _open(_profile())


@cl.on_chat_resume
async def on_chat_resume(thread: dict) -> None:
    await _open(_profile(), cl.user_session.get("chat_settings") or {})
    remember = _choice(_profile()).remember
    remembered = await asyncio.to_thread(chat_memory.replay, runtime().service, thread) if remember else Memory()
    cl.user_session.set("memory", remembered)


@cl.on_settings_update
async def on_settings_update(values: dict) -> None:
    """Say at once when a value cannot be used or the home area is not a known place, and forget
    when memory is switched off."""
    choice = panel.read(values, _profile(), **_panel_defaults())
    for problem in choice.problems:
        await cl.Message(content=markup.escape_text(problem)).send()
    if not choice.remember and _memory() != Memory():
        cl.user_session.set("memory", Memory())
        await cl.Message(content="Memory is off: I've forgotten what you told me in this chat.").send()
    if choice.home_area:
        _, problem = await asyncio.to_thread(chat_memory.home_area, runtime().service, choice.home_area)
        if problem:
            await cl.Message(content=markup.escape_text(problem)).send()


def _memory() -> Memory:
    remembered = cl.user_session.get("memory")
    return remembered if isinstance(remembered, Memory) else Memory()


@cl.on_chat_end
async def on_chat_end() -> None:
    runtime().turns.forget(cl.context.session.id)


# -- questions -----------------------------------------------------------------------------


@cl.on_message
async def on_message(message: cl.Message) -> None:
    if message.command:
        await run_command(message.command, message.content or "")
        return
    await answer(message)


def _turns() -> list[Turn]:
    return [
        Turn(
            id=m.id, author_is_user=m.type == "user_message", text=m.content or "", command=getattr(m, "command", None)
        )
        for m in cl.chat_context.get()
    ]


async def answer(message: cl.Message) -> None:
    rt, profile = runtime(), _profile()
    if profile.staff_only and not _is_staff(_user()):
        await cl.Message(content=profiles.STAFF_ONLY).send()
        return
    hint = f"For example: {profile.starters[0].message}"
    checked = guards.check(message.content, max_chars=rt.chat.max_question_chars, hint=hint)
    if not checked.ok:
        await cl.Message(content=markup.escape_text(checked.reply)).send()
        return
    if profile.staff_only and bill_chat.track_request(checked.question):  # staff only: checked above
        await track_bill(checked.question)
        return
    choice = _choice(profile)
    async with rt.turns.of(cl.context.session.id):
        if not profile.staff_only and planning.asks_for_plan(checked.question):
            await make_plan(checked.question)
            return
        earlier = history_before(_turns(), message.id, max_chars=rt.chat.max_question_chars)
        try:
            prepared = await asyncio.to_thread(
                chat_memory.prepare, rt.service, checked.question, _memory(), earlier, choice=choice)
        except AssistantError as exc:
            await cl.Message(content=render.problem(str(exc))).send()
            return
        learned = choice.remember and prepared.memory != _memory()
        if choice.remember:
            cl.user_session.set("memory", prepared.memory)
        request = AnswerRequest(question=checked.question, profile=profile, choice=choice, history=earlier,
                                **prepared.options())
        # Streamed tokens are shown but not stored; the one send() at the end stores the whole
        # message with its source cards (a send() first would race its own later update).
        reply = cl.Message(content="")
        await reply.stream_token(render.answer_prefix(checked.notice))
        final: Answer | None = None
        quoted = markup.QuotedStream()
        try:
            async for item in stream_answer(rt.service, request):
                if isinstance(item, Answer):
                    final = item
                else:
                    await reply.stream_token(quoted.feed(item))
            await reply.stream_token(quoted.close())
        except AnswerFailed as exc:
            reply.content = render.problem(str(exc))
            await reply.send()
            return
        if final is None:
            reply.content = render.problem("no answer came back. Please try again.")
            await reply.send()
            return
        rt.answered(final, profile=profile.name)
        extras = await asyncio.to_thread(
            visuals.for_answer, rt.service, final, checked.question, memory=prepared.memory,
            home_area=prepared.home_area, bill_cards=profile.staff_only)
        shown = render.render_answer(
            final, profile=profile, choice=choice, notice=checked.notice, news=request.news,
            assumed=chat_memory.summary_line(prepared.memory, remember=choice.remember),
            notes=prepared.notices + extras.notes)
        reply.content = shown.text
        if final.abstained and learned:
            # The message told us about the person rather than asking: say what was understood.
            reply.content = render.answer_prefix(checked.notice) + render.noted(prepared.memory.summary())
        reply.elements = [cl.Text(name=card.name, content=card.content, display="side") for card in shown.sources]
        reply.elements += [cl.Text(name=card.name, content=card.content, display="inline")
                           for card in (extras.card, extras.bill) if card is not None]
        await reply.send()
        for chart in extras.charts:
            await send_chart(chart)


# -- commands ------------------------------------------------------------------------------


async def run_command(command: str, text: str) -> None:
    rt, staff = runtime(), _is_staff(_user())
    allowed = {c.id: c for c in _profile().commands_for(staff=True)}
    spec = allowed.get(command)
    if spec is None or (spec.staff_only and not staff) or (_profile().staff_only and not staff):
        await cl.Message(content="That command is for signed-in staff on the Policy desk.").send()
        return
    conn = rt.service.db
    if command == profiles.COMPARE_CAREERS:
        await compare_careers()
    elif command == profiles.MAKE_PLAN:
        async with rt.turns.of(cl.context.session.id):
            await make_plan(text)
    elif command == profiles.WHAT_CHANGED:
        since, found = await asyncio.to_thread(updates.recent, conn)
        refreshed = await asyncio.to_thread(updates.last_refresh, conn)
        await cl.Message(content=updates.render_updates(found, since=since, refreshed=refreshed)).send()
    elif command == profiles.WEEKLY_DIGEST:
        digest = await asyncio.to_thread(updates.digest, conn)
        name = digest.filename
        file = cl.File(name=name, content=digest.markdown.encode("utf-8"), mime="text/markdown", display="inline")
        note = f"**Weekly digest:** {digest.count} new or changed item(s), grouped by topic. Download {name}."
        await cl.Message(content=note, elements=[file]).send()
    elif command == profiles.UPDATES_TIMELINE:
        png, total = await asyncio.to_thread(updates.timeline_png, conn)
        image = cl.Image(name="updates-timeline", content=png, mime="image/png", display="inline", size="large")
        await cl.Message(
            content=f"**Policy updates per week, by topic** ({total} items in 12 weeks).", elements=[image]
        ).send()
    elif command == profiles.ADD_FEED:
        try:
            said = await asyncio.to_thread(updates.add_feed, conn, text)
        except AssistantError as exc:
            said = render.problem(str(exc))
        await cl.Message(content=said).send()
    elif command == profiles.REFRESH_FEEDS:
        await cl.Message(content="Fetching every feed; this can take a minute…").send()
        report = await asyncio.to_thread(
            updates.refresh, conn, lambda: rt.service.index, allow_private=rt.settings.feeds_allow_private
        )
        await cl.Message(content=report).send()
    elif command == profiles.TRACK_BILL:
        await track_bill(text)


async def track_bill(text: str) -> None:
    """Track the bill a staff message names, as `assistant bills track` does; reply with its card."""
    rt = runtime()
    done = await asyncio.to_thread(bill_chat.track, rt.service.db, text, settings=rt.settings,
                                   index=lambda: rt.service.index)
    cards = [cl.Text(name=done.card.name, content=done.card.content, display="inline")] if done.card else []
    await cl.Message(content=done.reply, elements=cards).send()


async def compare_careers() -> None:
    rt = runtime()
    home = _memory().place or _choice(_profile()).home_area or rt.settings.home_area
    chart = await asyncio.to_thread(visuals.compare_chart, rt.service, home_area=home)
    if chart is None:
        await cl.Message(content=visuals.NO_DATA).send()
        return
    await send_chart(chart)


async def send_chart(chart: visuals.Chart) -> None:
    """A chart and, beside it, the same figures as a table (screen readers, narrow phones)."""
    image = cl.Image(name=chart.name, content=chart.png, mime="image/png", display="inline", size="large")
    table = cl.Text(name=chart.table_name, content=chart.table, display="inline")
    await cl.Message(content=chart.caption, elements=[image, table]).send()


# -- plans -----------------------------------------------------------------------------------

PLAN_BACKGROUND = "plan_background"


async def make_plan(text: str = "", *, background: str | None = None) -> None:
    """The pathway plan from what this chat knows; asks first for what is missing."""
    rt, choice = runtime(), _choice(_profile())
    remembered, needs = await asyncio.to_thread(
        planning.gather, rt.service, text, _memory(), choice=choice, background=background,
        default_home=rt.settings.home_area)
    if choice.remember:
        cl.user_session.set("memory", remembered)
    if needs.missing:
        actions = [cl.Action(name=PLAN_BACKGROUND, payload={"background": key}, label=label)
                   for key, label in planning.BACKGROUND_LABELS.items()] if "background" in needs.missing else []
        await cl.Message(content=planning.ask_for(needs.missing), actions=actions).send()
        return
    await cl.Message(content=planning.working_note(needs)).send()
    try:
        plan = await asyncio.to_thread(rt.service.plan, background=needs.background, place=needs.place,
                                       goal=needs.goal)
    except AssistantError as exc:
        await cl.Message(content=render.problem(str(exc))).send()
        return
    name = planning.filename(plan)
    file = cl.File(name=name, content=plan.to_markdown().encode("utf-8"), mime="text/markdown", display="inline")
    cards = [cl.Text(name=render.card_name(c.n), content=render.source_card(c).content, display="side")
             for c in plan.citations]
    await cl.Message(content=planning.checklist(plan, download=name), elements=[*cards, file]).send()


@cl.action_callback(PLAN_BACKGROUND)
async def on_plan_background(action: cl.Action) -> None:
    background = (action.payload or {}).get("background")
    if background not in planning.BACKGROUND_LABELS:
        await cl.Message(content="That choice is not one I know; please pick one of the buttons.").send()
        return
    async with runtime().turns.of(cl.context.session.id):
        await make_plan(background=background)


# -- web routes beside Chainlit's (assistant/chat/routes.py) ---------------------------------

routes.install(runtime)
chat_file, staff_signin, auth_config = routes.chat_file, routes.staff_signin, routes.auth_config


@cl.on_app_startup
async def startup() -> None:
    runtime().warm_up()


if chainlit_config.run.module_name and not os.environ.get("CHAINLIT_AUTH_SECRET"):
    # Loaded by `chainlit run`: sign-in tokens need a secret before the server starts.
    if runtime().settings.database_url:  # a replica's own secret: the others refuse its tokens
        log.warning("CHAINLIT_AUTH_SECRET is not set: this replica signs sign-ins with its own secret (%s), "
                    "which other replicas refuse; set one CHAINLIT_AUTH_SECRET on every replica",
                    runtime().chat.secret_path)
    os.environ["CHAINLIT_AUTH_SECRET"] = auth.session_secret(runtime().chat.secret_path)
