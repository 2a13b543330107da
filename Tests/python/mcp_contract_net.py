"""A whole Contract Net on the crew bus, driven by the official MCP Python SDK as the client of two
`b00t mcp serve` processes (agents alice and bob) with a human (carol) acting through `b00t replay`.

Run by Tests/IntegrationTests/McpPythonClientTests.swift in a private sandbox (its own B00T_STATE_DIR and bus
socket). Usage: mcp_contract_net.py B00T_BINARY WORK_DIR. Every check fails with a message saying what was
expected and what came back; on success the last line is one JSON object of what was observed.
"""

import datetime
import json
import os
import subprocess
import sys
from contextlib import AsyncExitStack

import anyio
import mcp.types as types
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

B00T, WORK = sys.argv[1], sys.argv[2]
CREW_TOOLS = [
    "crew_status", "say", "handshake", "crew_form", "propose", "vote", "ahoy_post", "ahoy_list", "ahoy_apply",
    "ahoy_award", "teach", "learn_request", "share", "skills", "events_since", "service_up", "service_ps",
    "datum_show", "datum_query", "grok_ask", "grok_learn", "lfmf", "advice", "datum_mutate",
]


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def text_of(result):
    return "\n".join(item.text for item in result.content if item.type == "text")


class Agent:
    """One `b00t mcp serve --as NAME` with the notifications it pushed."""

    def __init__(self, name):
        self.name = name
        self.logs = []          # logging notifications' data
        self.updated = []       # resources/updated URIs
        self.got_log = anyio.Event()
        self.got_update = anyio.Event()
        self.session = None

    async def on_log(self, params):
        self.logs.append(params.data)
        self.got_log.set()

    async def on_message(self, message):
        if isinstance(message, types.ServerNotification) and isinstance(message.root, types.ResourceUpdatedNotification):
            self.updated.append(str(message.root.params.uri))
            self.got_update.set()

    async def start(self, stack, skills):
        params = StdioServerParameters(command=B00T, args=["mcp", "serve", "--as", self.name, "--skills", skills],
                                       env=dict(os.environ), cwd=WORK)
        read, write = await stack.enter_async_context(stdio_client(params))
        self.session = await stack.enter_async_context(
            ClientSession(read, write, read_timeout_seconds=datetime.timedelta(seconds=30),
                          logging_callback=self.on_log, message_handler=self.on_message))
        init = await self.session.initialize()
        check(init.serverInfo.name == "b00t-crew", f"server name: {init.serverInfo.name}")
        check(init.capabilities.logging is not None, "the server offers logging notifications")
        check(init.capabilities.resources is not None and init.capabilities.resources.subscribe, "resources can be subscribed")
        return init

    async def call(self, tool, arguments):
        return await self.session.call_tool(tool, arguments)

    async def ok(self, tool, arguments):
        result = await self.call(tool, arguments)
        check(not result.isError, f"{self.name} {tool} {arguments} refused: {text_of(result)}")
        return result

    async def refused(self, tool, arguments, expected):
        result = await self.call(tool, arguments)
        check(result.isError, f"{self.name} {tool} {arguments} should be refused, got: {text_of(result)}")
        check(expected in text_of(result), f"{self.name} {tool}: expected '{expected}' in the refusal, got: {text_of(result)}")
        return text_of(result)

    async def notice(self, reason, seconds=15):
        with anyio.fail_after(seconds):
            while True:
                for data in self.logs:
                    if isinstance(data, dict) and data.get("reason") == reason:
                        return data
                self.got_log = anyio.Event()
                await self.got_log.wait()


def replay(name, lines):
    path = os.path.join(WORK, name)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    # --bus socket: the daemon the two servers are on (replay's default is a fresh in-memory bus).
    done = subprocess.run([B00T, "replay", "--bus", "socket", "--as", "carol", path], env=os.environ, cwd=WORK, capture_output=True, text=True, timeout=60)
    check(done.returncode == 0, f"replay {name} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


async def main():
    seen = {}
    async with AsyncExitStack() as stack:
        alice, bob = Agent("alice"), Agent("bob")
        await alice.start(stack, "rust:0.9,docker:0.7")
        await bob.start(stack, "rust:0.8,python:0.6")

        listed = await alice.session.list_tools()
        names = [tool.name for tool in listed.tools]
        check(names == CREW_TOOLS, f"tools: {names}")
        for tool in listed.tools:
            check(tool.inputSchema.get("type") == "object", f"{tool.name}: schema {tool.inputSchema}")
        post_schema = next(t for t in listed.tools if t.name == "ahoy_post").inputSchema
        check(post_schema["required"] == ["role"] and post_schema["properties"]["budget"]["minimum"] == 0,
              f"ahoy_post schema: {post_schema}")
        seen["tools"] = len(names)

        # Bob follows his inbox as a resource too.
        await bob.session.subscribe_resource("b00t://events/bob")
        resources = await bob.session.list_resources()
        check([str(r.uri) for r in resources.resources] == ["b00t://events/bob"], f"resources: {resources}")

        # Bad arguments: clear refusals naming the argument, nothing reaches the bus.
        seen["bad_budget"] = await alice.refused("ahoy_post", {"role": "backend", "budget": -1}, "argument 'budget'")
        seen["missing_role"] = await alice.refused("ahoy_post", {"budget": 5}, "missing required argument 'role'")
        seen["wrong_type"] = await alice.refused("ahoy_post", {"role": "backend", "budget": "ten"}, "argument 'budget' must be an integer")
        seen["huge"] = await alice.refused("ahoy_post", {"role": "backend", "description": "x" * (1 << 20)}, "argument 'description' is 1048576 bytes")
        seen["unknown_arg"] = await alice.refused("ahoy_post", {"role": "backend", "bugdet": 5}, "did you mean 'budget'")

        # The call for proposals.
        posted = await alice.ok("ahoy_post", {"role": "backend", "required_skills": ["rust"], "budget": 100,
                                              "description": "Build the ingestion service"})
        ahoy = posted.structuredContent["ahoy"]
        check(posted.structuredContent["budget"] == 100, f"posted: {posted.structuredContent}")
        seen["ahoy"] = ahoy
        ahoy_notice = await bob.notice("ahoy")  # it needs bob's rust
        check(ahoy_notice["event"]["body"]["ahoyPosted"]["id"] == ahoy, f"bob's ahoy notice: {ahoy_notice}")

        # Bids: bob through MCP, carol (a human) through a replay file.
        await bob.ok("ahoy_apply", {"id": ahoy, "pitch": "Rust 0.8, shipped two ingestion services"})
        seen["apply_twice"] = await bob.refused("ahoy_apply", {"id": ahoy, "pitch": "again"}, "one application per agent")
        replay("carol-applies.k0", ["@as carol", f"/apply {ahoy} I am a human who knows Rust", f"@expect applied to {ahoy}"])
        application = await alice.notice("application")
        check(application["event"]["from"] in ("bob", "carol"), f"alice's application notice: {application}")

        listed = await alice.ok("ahoy_list", {"filter": "open"})
        applicants = [a["from"] for a in listed.structuredContent["ahoys"][0]["applications"]]
        check(applicants == ["bob", "carol"], f"applicants: {applicants}")

        # Refusals as isError with the bus's own words.
        seen["award_by_non_poster"] = await bob.refused("ahoy_award", {"id": ahoy, "winner": "bob"}, f"only alice, who posted {ahoy}, can award it")
        seen["unknown_ahoy"] = await alice.refused("ahoy_award", {"id": "ahoy-99999", "winner": "bob"}, "no ahoy 'ahoy-99999'")

        # The award carries the budget; bob is told without polling.
        awarded = await alice.ok("ahoy_award", {"id": ahoy, "winner": "bob"})
        check(awarded.structuredContent["budget"] == 100, f"award result: {awarded.structuredContent}")
        check(awarded.structuredContent["rejected"] == ["carol"], f"award result: {awarded.structuredContent}")
        check("budget 100" in text_of(awarded), f"award text: {text_of(awarded)}")
        award = await bob.notice("award")
        check(award["event"]["body"]["ahoyAwarded"] == {"ahoy": ahoy, "winner": "bob", "budget": 100}, f"bob's award notice: {award}")
        with anyio.fail_after(10):
            await bob.got_update.wait()
        check("b00t://events/bob" in bob.updated, f"resources/updated: {bob.updated}")
        inbox = await bob.session.read_resource("b00t://events/bob")
        document = json.loads(inbox.contents[0].text)
        check(any(n["reason"] == "award" for n in document["notices"]), f"bob's inbox: {document}")
        seen["award_notice"] = award["text"]
        seen["award_again"] = await alice.refused("ahoy_award", {"id": ahoy, "winner": "bob"}, "already awarded to bob")

        # The human sees the same log.
        replay("carol-checks.k0", ["@as carol", "/ahoys all", "@expect awarded to bob"])

        # A vote and a refusal to vote twice; polling clients page through events.
        proposed = await alice.ok("propose", {"text": "Ship the ingestion service on Friday"})
        proposal = proposed.structuredContent["proposal"]
        vote_notice = await bob.notice("proposal")
        check(proposal in vote_notice["text"], f"bob's proposal notice: {vote_notice}")
        await bob.ok("vote", {"id": proposal, "choice": "yes"})
        seen["vote_twice"] = await bob.refused("vote", {"id": proposal, "choice": "no"}, "one vote per voter")
        events = await bob.ok("events_since", {"seq": 0, "limit": 500})
        kinds = [e["kind"] for e in events.structuredContent["events"]]
        check("ahoy_award" in kinds and "vote" in kinds, f"events: {kinds}")
        status = await bob.ok("crew_status", {})
        online = {a["id"]: a["online"] for a in status.structuredContent["agents"]}
        check(online.get("alice") and online.get("bob"), f"online: {online}")
        seen["events"] = len(kinds)
    print(json.dumps(seen))


anyio.run(main)
