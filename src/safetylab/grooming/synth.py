"""Synthetic chats for tests and the demo: benign chats and grooming chats that move through
trust building, isolation, secrecy and meeting requests (tame wording, data/stages.yaml).

Each user (a client device) gets a few chats; a share of users is contacted by a predator.
Positive chats come with segment separators, like the datapack and PANC expect.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from safetylab.grooming.records import Chat, ChatMessage
from safetylab.lexicon import load_yaml

STAGES = Path(__file__).with_name("data") / "stages.yaml"
ORDER = ("trust", "isolation", "secrecy", "meeting")


def _fill(text: str, fills: dict[str, list[str]], rng: random.Random) -> str:
    for k, vals in fills.items():
        text = text.replace("{" + k + "}", rng.choice(vals))
    return text


def _time(k: int) -> str:
    return f"{(18 + k // 60) % 24:02d}:{k % 60:02d}"


def _benign(cid: str, user: str, other: str, rng: random.Random, data: dict) -> Chat:
    topic = rng.choice([t for t in data["benign"] if t != "replies"])
    n = rng.randint(8, 60)
    msgs = []
    for k in range(n):
        mine = k % 2 == 1
        pool = data["benign"]["replies"] if mine and rng.random() < 0.6 else data["benign"][topic]
        msgs.append(
            ChatMessage(
                user if mine else other, _time(k), _fill(rng.choice(pool), data["fills"], rng)
            )
        )
    return Chat(cid, msgs, 0, user)


def _grooming(cid: str, user: str, predator: str, rng: random.Random, data: dict) -> Chat:
    msgs: list[ChatMessage] = []
    sizes = []
    for stage in ORDER:
        n = rng.randint(6, 30)
        seg: list[ChatMessage] = []
        for _ in range(n):
            # Early on, much of a grooming chat looks like any other chat.
            if rng.random() < 0.35:
                topic = rng.choice([t for t in data["benign"] if t != "replies"])
                text, who = rng.choice(data["benign"][topic]), predator
            elif rng.random() < 0.6:
                text, who = rng.choice(data["stages"][stage]["contact"]), predator
            else:
                text, who = rng.choice(data["stages"][stage]["user"]), user
            seg.append(
                ChatMessage(who, _time(len(msgs) + len(seg)), _fill(text, data["fills"], rng))
            )
        msgs += seg
        sizes.append(len(seg))
    chat = Chat(cid, msgs, 1, user)
    chat.meta["segments"] = json.dumps(sizes)
    return chat


def generate(
    users: int = 200,
    positive_share: float = 0.15,
    chats_per_user: tuple[int, int] = (1, 3),
    seed: int = 0,
) -> list[Chat]:
    rng = random.Random(seed)
    data = load_yaml(STAGES)
    chats: list[Chat] = []
    for u in range(users):
        user = f"u{u:05d}"
        groomed = rng.random() < positive_share
        n = rng.randint(*chats_per_user)
        for j in range(n):
            cid = f"{user}-c{j}"
            if groomed and j == 0:
                chats.append(_grooming(cid, user, f"p{u:05d}", rng, data))
            else:
                chats.append(_benign(cid, user, f"f{rng.randint(0, users):05d}", rng, data))
    return chats


def predators(chats: list[Chat]) -> set[str]:
    return {m.author for c in chats if c.label for m in c.messages if m.author.startswith("p")}
