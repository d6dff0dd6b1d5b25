"""A fake Discord on 127.0.0.1 for end-to-end tests: gateway websocket + REST, aiohttp only.

The real, unpatched discord.py client connects to it; only ``discord.http.Route.BASE`` and
``DiscordWebSocket.DEFAULT_GATEWAY`` point here (in-process tests), or the test-only settings
``FITMYGPU_DISCORD_API_BASE`` / ``FITMYGPU_DISCORD_GATEWAY`` (subprocess tests).

What it implements, as discord.py 2.7 uses it:

* REST: login (``/users/@me``, ``/oauth2/applications/@me``), ``/gateway(/bot)``, command bulk
  overwrite (global and guild), interaction callbacks (``?with_response=true``), the original
  response and followups (webhooks), channel messages; JSON or multipart (``payload_json`` +
  ``files[n]``). Every request is recorded with its arrival time.
* Gateway: HELLO, IDENTIFY -> READY (+ GUILD_CREATE), heartbeat ACKs, and dispatching events.
* Discord's message-content rule: without the MESSAGE_CONTENT intent, guild messages that do not
  mention the bot arrive with empty content, as on real Discord.

Messages the bot creates are stored so component interactions can carry the real message
(components included), as Discord sends them.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

MESSAGE_CONTENT = 1 << 15
DISCORD_EPOCH_MS = 1_420_070_400_000
API = "/api/v10"


@dataclass
class Recorded:
    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    json: Any
    files: list[tuple[str, bytes]]  # (filename, bytes)
    at: float  # time.monotonic() on arrival


@dataclass
class Sent:
    """An event we dispatched, and when."""

    payload: dict[str, Any]
    at: float


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _json(data: Any, status: int = 200) -> web.Response:
    # discord.py parses JSON only for exactly "application/json" (no charset suffix).
    return web.Response(status=status, body=json.dumps(data).encode(), content_type="application/json")


@dataclass
class FakeDiscord:
    app_id: int = 111_000_000_000_000_001
    guild_id: int = 222_000_000_000_000_002
    channel_id: int = 333_000_000_000_000_003
    user_id: int = 444_000_000_000_000_004
    bot_name: str = "FitMyGPU"
    token: str = "test-token"
    requests: list[Recorded] = field(default_factory=list)
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    identify: dict[str, Any] | None = None
    port: int = 0

    def __post_init__(self) -> None:
        self._ids = itertools.count(1)
        self._seq = itertools.count(1)
        self._sockets: list[web.WebSocketResponse] = []
        self._runner: web.AppRunner | None = None
        self._changed = asyncio.Condition()
        self.identified = asyncio.Event()
        self.originals: dict[str, int] = {}  # interaction token -> message id
        self.interactions: dict[int, dict[str, Any]] = {}

    # ----- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", API + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}{API}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # ----- payloads -----------------------------------------------------------------------------

    def next_id(self) -> int:
        """A snowflake for now (discord.py derives creation times, and so expiry, from ids)."""
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return (ms << 22) | (next(self._ids) & 0x3FFFFF)

    @property
    def bot_user(self) -> dict[str, Any]:
        return {
            "id": str(self.app_id),
            "username": self.bot_name,
            "discriminator": "0",
            "global_name": None,
            "avatar": None,
            "bot": True,
            "verified": True,
            "flags": 0,
            "mfa_enabled": False,
        }

    def user(self, user_id: int | None = None, name: str = "tester") -> dict[str, Any]:
        return {
            "id": str(user_id or self.user_id),
            "username": name,
            "discriminator": "0",
            "global_name": name,
            "avatar": None,
        }

    def guild_payload(self) -> dict[str, Any]:
        g = str(self.guild_id)
        return {
            "id": g,
            "name": "Test server",
            "icon": None,
            "owner_id": str(self.user_id),
            "features": [],
            "roles": [
                {
                    "id": g,
                    "name": "@everyone",
                    "permissions": "274878024704",
                    "position": 0,
                    "color": 0,
                    "hoist": False,
                    "managed": False,
                    "mentionable": False,
                    "flags": 0,
                }
            ],
            "channels": [
                {
                    "id": str(self.channel_id),
                    "type": 0,
                    "guild_id": g,
                    "name": "general",
                    "position": 0,
                    "permission_overwrites": [],
                    "nsfw": False,
                    "parent_id": None,
                }
            ],
            "members": [],
            "member_count": 2,
            "emojis": [],
            "stickers": [],
            "threads": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "voice_states": [],
            "presences": [],
            "large": False,
            "unavailable": False,
            "joined_at": _now(),
            "premium_tier": 0,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "preferred_locale": "en-US",
        }

    def interaction(
        self,
        itype: int,
        data: dict[str, Any],
        *,
        dm: bool = False,
        user_id: int | None = None,
        message: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        iid = self.next_id()
        user = self.user(user_id)
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(self.app_id),
            "type": itype,
            "token": f"itoken-{iid}",
            "version": 1,
            "data": data,
            "locale": "en-US",
            "app_permissions": "274878024704",
            "attachment_size_limit": 10 * 1024 * 1024,
            "entitlements": [],
        }
        if dm:
            payload["user"] = user
            payload["channel_id"] = str(self.channel_id + 1)
            payload["channel"] = {"id": str(self.channel_id + 1), "type": 1, "recipients": [user]}
            payload["context"] = 1
            payload["authorizing_integration_owners"] = {"1": user["id"]}
        else:
            payload["guild_id"] = str(self.guild_id)
            payload["guild_locale"] = "en-US"
            payload["channel_id"] = str(self.channel_id)
            payload["channel"] = {
                "id": str(self.channel_id),
                "type": 0,
                "guild_id": str(self.guild_id),
                "name": "general",
                "position": 0,
                "permission_overwrites": [],
                "nsfw": False,
                "parent_id": None,
            }
            payload["member"] = {
                "user": user,
                "roles": [],
                "joined_at": _now(),
                "deaf": False,
                "mute": False,
                "flags": 0,
                "permissions": "2147483647",
            }
            payload["context"] = 0
            payload["authorizing_integration_owners"] = {"0": str(self.guild_id)}
        if message is not None:
            payload["message"] = message
        self.interactions[iid] = payload
        return payload

    @staticmethod
    def options(**values: Any) -> list[dict[str, Any]]:
        out = []
        for name, value in values.items():
            kind = (
                4
                if isinstance(value, int) and not isinstance(value, bool)
                else 5
                if isinstance(value, bool)
                else 3
            )
            out.append({"name": name, "type": kind, "value": value})
        return out

    def slash(
        self,
        command: str,
        *,
        sub: str | None = None,
        dm: bool = False,
        user_id: int | None = None,
        **values: Any,
    ) -> dict[str, Any]:
        opts = self.options(**values)
        if sub is not None:
            opts = [{"name": sub, "type": 1, "options": opts}]
        data = {"id": str(self.next_id()), "name": command, "type": 1, "options": opts}
        return self.interaction(2, data, dm=dm, user_id=user_id)

    def autocomplete(self, command: str, focused: str, value: str, **others: Any) -> dict[str, Any]:
        opts = self.options(**others)
        opts.append({"name": focused, "type": 3, "value": value, "focused": True})
        data = {"id": str(self.next_id()), "name": command, "type": 1, "options": opts}
        return self.interaction(4, data)

    def component(
        self, message: dict[str, Any], custom_id: str, values: list[str], *, user_id: int | None = None
    ) -> dict[str, Any]:
        data = {"custom_id": custom_id, "component_type": 3, "values": values}
        return self.interaction(3, data, message=message, user_id=user_id)

    def chat_message(
        self, content: str, *, mention_bot: bool = False, dm: bool = False, user_id: int | None = None
    ) -> dict[str, Any]:
        """A MESSAGE_CREATE payload, with Discord's content rule applied."""
        user = self.user(user_id)
        intents = int((self.identify or {}).get("intents", 0))
        if not dm and not mention_bot and not intents & MESSAGE_CONTENT:
            content = ""
        msg: dict[str, Any] = {
            "id": str(self.next_id()),
            "channel_id": str(self.channel_id + 1 if dm else self.channel_id),
            "author": user,
            "content": content,
            "timestamp": _now(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [self.bot_user] if mention_bot else [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "type": 0,
            "flags": 0,
            "components": [],
        }
        if not dm:
            msg["guild_id"] = str(self.guild_id)
            msg["member"] = {"roles": [], "joined_at": _now(), "deaf": False, "mute": False, "flags": 0}
        return msg

    # ----- gateway ------------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None}))
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                op = frame.get("op")
                if op == 1:
                    await ws.send_str(json.dumps({"op": 11, "d": None, "s": None, "t": None}))
                elif op == 2:
                    self.identify = frame["d"]
                    shard = frame["d"].get("shard", [0, 1])
                    ready = {
                        "v": 10,
                        "user": self.bot_user,
                        "guilds": [{"id": str(self.guild_id), "unavailable": True}],
                        "session_id": "fake-session",
                        "resume_gateway_url": self.gateway_url,
                        "shard": shard,
                        "application": {"id": str(self.app_id), "flags": 0},
                        "private_channels": [],
                        "relationships": [],
                    }
                    await self._send(ws, "READY", ready)
                    await self._send(ws, "GUILD_CREATE", self.guild_payload())
                    self.identified.set()
                elif op == 6:
                    await self._send(ws, "RESUMED", {})
        finally:
            if ws in self._sockets:
                self._sockets.remove(ws)
        return ws

    async def _send(self, ws: web.WebSocketResponse, event: str, data: dict[str, Any]) -> None:
        await ws.send_str(json.dumps({"op": 0, "t": event, "s": next(self._seq), "d": data}))

    async def dispatch(self, event: str, data: dict[str, Any]) -> Sent:
        """Send an event to every connected client (the bot); returns when it was sent."""
        if not self._sockets:
            raise RuntimeError("no gateway connection")
        at = time.monotonic()
        for ws in list(self._sockets):
            await self._send(ws, event, data)
        return Sent(data, at)

    # ----- REST ---------------------------------------------------------------------------------

    async def _body(self, request: web.Request) -> tuple[Any, list[tuple[str, bytes]]]:
        ctype = request.headers.get("Content-Type", "")
        if ctype.startswith("multipart/"):
            payload: Any = None
            files: list[tuple[str, bytes]] = []
            reader = await request.multipart()
            async for part in reader:
                raw = await part.read()  # type: ignore[union-attr]
                if part.name == "payload_json":  # type: ignore[union-attr]
                    payload = json.loads(raw)
                else:
                    files.append((part.filename or "", bytes(raw)))  # type: ignore[union-attr]
            return payload, files
        text = await request.text()
        return (json.loads(text) if text else None), []

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        body, files = await self._body(request)
        rec = Recorded(request.method, path, dict(request.query), body, files, time.monotonic())
        self.requests.append(rec)
        try:
            return await self._answer(request.method, path, body, files)
        finally:
            async with self._changed:
                self._changed.notify_all()

    def _message(
        self,
        body: dict[str, Any] | None,
        files: list[tuple[str, bytes]],
        *,
        channel_id: int,
        flags: int = 0,
        mtype: int = 0,
        interaction: dict[str, Any] | None = None,
        message_id: int | None = None,
    ) -> dict[str, Any]:
        body = body or {}
        mid = message_id or self.next_id()
        msg = {
            "id": str(mid),
            "channel_id": str(channel_id),
            "author": self.bot_user,
            "content": body.get("content") or "",
            "timestamp": _now(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [
                {
                    "id": str(self.next_id()),
                    "filename": name,
                    "size": len(data),
                    "url": f"https://cdn.invalid/{name}",
                    "proxy_url": f"https://cdn.invalid/{name}",
                }
                for name, data in files
            ],
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "pinned": False,
            "type": mtype,
            "flags": flags | int(body.get("flags") or 0),
        }
        if interaction is not None:
            user = interaction.get("member", {}).get("user") or interaction.get("user")
            msg["interaction_metadata"] = {
                "id": interaction["id"],
                "type": interaction["type"],
                "user": user,
                "authorizing_integration_owners": interaction.get("authorizing_integration_owners", {}),
            }
        if body.get("message_reference"):
            msg["message_reference"] = body["message_reference"]
        self.messages[mid] = msg
        return msg

    def _edit(self, mid: int, body: dict[str, Any] | None, files: list[tuple[str, bytes]]) -> dict[str, Any]:
        old = self.messages[mid]
        new = self._message(
            body,
            files,
            channel_id=int(old["channel_id"]),
            flags=old["flags"],
            mtype=old["type"],
            message_id=mid,
        )
        for key in ("interaction_metadata", "message_reference"):
            if key in old:
                new[key] = old[key]
        body = body or {}
        for key in ("content", "embeds", "components"):
            if key not in body:
                new[key] = old[key]
        if "attachments" not in body and not files:
            new["attachments"] = old["attachments"]
        new["edited_timestamp"] = _now()
        self.messages[mid] = new
        return new

    async def _answer(
        self, method: str, path: str, body: Any, files: list[tuple[str, bytes]]
    ) -> web.StreamResponse:
        if method == "GET" and path == "/users/@me":
            return _json(self.bot_user)
        if method == "GET" and path == "/oauth2/applications/@me":
            return _json(
                {
                    "id": str(self.app_id),
                    "name": self.bot_name,
                    "description": "",
                    "icon": None,
                    "bot_public": True,
                    "bot_require_code_grant": False,
                    "verify_key": "00" * 32,
                    "owner": self.user(),
                    "flags": 0,
                    "team": None,
                }
            )
        if method == "GET" and path in ("/gateway", "/gateway/bot"):
            return _json(
                {
                    "url": f"ws://127.0.0.1:{self.port}/gateway",
                    "shards": 1,
                    "session_start_limit": {
                        "total": 1000,
                        "remaining": 999,
                        "reset_after": 0,
                        "max_concurrency": 1,
                    },
                }
            )
        m = re.fullmatch(r"/applications/(\d+)(?:/guilds/(\d+))?/commands", path)
        if m and method == "PUT":
            out = []
            for cmd in body or []:
                out.append(
                    {
                        **cmd,
                        "id": str(self.next_id()),
                        "application_id": str(self.app_id),
                        "version": "1",
                        "default_member_permissions": cmd.get("default_member_permissions"),
                        **({"guild_id": m.group(2)} if m.group(2) else {}),
                    }
                )
            return _json(out)
        m = re.fullmatch(r"/interactions/(\d+)/([^/]+)/callback", path)
        if m and method == "POST":
            return self._callback(int(m.group(1)), m.group(2), body, files)
        m = re.fullmatch(r"/webhooks/(\d+)/([^/]+)/messages/@original", path)
        if m:
            mid = self.originals.get(m.group(2))
            if mid is None:
                return _json({"message": "Unknown Message", "code": 10008}, 404)
            if method == "PATCH":
                return _json(self._edit(mid, body, files))
            if method == "DELETE":
                self.messages.pop(mid, None)
                return web.Response(status=204)
            return _json(self.messages[mid])
        m = re.fullmatch(r"/webhooks/(\d+)/([^/]+)", path)
        if m and method == "POST":
            inter = next((i for i in self.interactions.values() if i["token"] == m.group(2)), None)
            channel = int(inter["channel_id"]) if inter else self.channel_id
            return _json(self._message(body, files, channel_id=channel, interaction=inter))
        m = re.fullmatch(r"/channels/(\d+)/messages", path)
        if m and method == "POST":
            mtype = 19 if (body or {}).get("message_reference") else 0
            return _json(self._message(body, files, channel_id=int(m.group(1)), mtype=mtype))
        return _json({"message": f"fake Discord: no route for {method} {path}", "code": 0}, 404)

    def _callback(
        self, iid: int, token: str, body: dict[str, Any], files: list[tuple[str, bytes]]
    ) -> web.Response:
        inter = self.interactions.get(iid)
        if inter is None or inter["token"] != token:
            return _json({"message": "Unknown interaction", "code": 10062}, 404)
        rtype = body["type"]
        data = body.get("data") or {}
        channel = int(inter["channel_id"])
        message: dict[str, Any] | None = None
        if rtype in (4, 5):
            flags = int(data.get("flags") or 0) | (128 if rtype == 5 else 0)
            message = self._message(
                data,
                files,
                channel_id=channel,
                flags=flags,
                mtype=20 if inter["type"] == 2 else 0,
                interaction=inter,
            )
            self.originals[token] = int(message["id"])
        elif rtype in (6, 7) and "message" in inter:
            mid = int(inter["message"]["id"])
            self.originals[token] = mid
            if mid not in self.messages:
                self.messages[mid] = inter["message"]
            if rtype == 7:
                message = self._edit(mid, data, files)
        response: dict[str, Any] = {
            "interaction": {
                "id": str(iid),
                "type": inter["type"],
                "response_message_id": message["id"] if message else None,
                "response_message_loading": rtype == 5,
                "response_message_ephemeral": bool(int(data.get("flags") or 0) & 64),
            },
            "resource": {"type": rtype, **({"message": message} if message else {})},
        }
        return _json(response)

    # ----- waiting ------------------------------------------------------------------------------

    async def wait_for(
        self, predicate: Callable[[Recorded], bool], timeout: float = 5.0, after: int = 0
    ) -> Recorded:
        """The first recorded request (from index ``after``) that matches; fails after ``timeout``."""

        async def find() -> Recorded:
            async with self._changed:
                while True:
                    for rec in self.requests[after:]:
                        if predicate(rec):
                            return rec
                    await self._changed.wait()

        return await asyncio.wait_for(find(), timeout)

    async def callback_for(self, interaction: dict[str, Any], timeout: float = 5.0) -> Recorded:
        path = f"/interactions/{interaction['id']}/{interaction['token']}/callback"
        return await self.wait_for(lambda r: r.method == "POST" and r.path == path, timeout)

    async def final_for(self, interaction: dict[str, Any], timeout: float = 15.0) -> Recorded:
        """The request that carried the interaction's content: the callback itself (types 4, 7),
        or the edit of the original response after a defer (types 5, 6)."""
        cb = await self.callback_for(interaction, timeout)
        if cb.json["type"] in (4, 7, 8):
            return cb
        path = f"/webhooks/{self.app_id}/{interaction['token']}"
        return await self.wait_for(
            lambda r: r.path in (path + "/messages/@original", path) and r.method in ("PATCH", "POST"),
            timeout,
        )

    def original_message(self, interaction: dict[str, Any]) -> dict[str, Any]:
        return self.messages[self.originals[interaction["token"]]]
