"""Chat records shared by the loaders, the generator, features and the early-warning rule."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ChatMessage:
    author: str
    time: str
    text: str


@dataclass(slots=True)
class Chat:
    id: str
    messages: list[ChatMessage]
    label: int  # 1 = grooming (a predator takes part), 0 = not
    user: str = ""  # the device owner: which client holds this chat
    source: str = ""  # file:line it came from
    meta: dict[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.messages)
