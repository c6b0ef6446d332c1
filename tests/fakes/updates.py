"""Builders of realistic Telegram Update dicts (without update_id: FakeBotAPI.feed assigns it)."""

from __future__ import annotations

import time
from itertools import count
from typing import Any

DEFAULT_USER_ID = 111_222_333
DEFAULT_BOT_ID = 7_000_000_001
BOT_USERNAME = "trainbot_test_bot"
DEFAULT_TOKEN = f"{DEFAULT_BOT_ID}:AAF-fake-token-for-tests_0123456789abc"

_message_ids = count(10_000)
_query_ids = count(1)


def now() -> int:
    """Unix time in whole seconds, as Telegram dates are."""
    return int(time.time())


def user(
    user_id: int = DEFAULT_USER_ID,
    *,
    first_name: str = "Alex",
    username: str | None = "alex_runs",
    language_code: str | None = "en",
) -> dict[str, Any]:
    """A human Telegram user."""
    out: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
    if username:
        out["username"] = username
    if language_code:
        out["language_code"] = language_code
    return out


def bot_user(bot_id: int = DEFAULT_BOT_ID, *, username: str = BOT_USERNAME) -> dict[str, Any]:
    """The bot itself, as `from` of its own messages."""
    return {"id": bot_id, "is_bot": True, "first_name": "Training Analyzer", "username": username}


def chat(chat_id: int, *, first_name: str = "Alex") -> dict[str, Any]:
    """A chat: private for positive ids (the user's own id), a group or supergroup otherwise."""
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": first_name}
    kind = "supergroup" if str(chat_id).startswith("-100") else "group"
    return {"id": chat_id, "type": kind, "title": "Training group"}


def message(
    chat_id: int = DEFAULT_USER_ID,
    *,
    sender: dict[str, Any] | None = None,
    message_id: int | None = None,
    date: int | None = None,
    **content: Any,
) -> dict[str, Any]:
    """A Message dict; `content` holds text, document, caption, entities and the like."""
    return {
        "message_id": next(_message_ids) if message_id is None else message_id,
        "from": sender or user(chat_id if chat_id > 0 else DEFAULT_USER_ID),
        "chat": chat(chat_id),
        "date": now() if date is None else date,
        **content,
    }


def text_message(
    text: str, *, chat_id: int = DEFAULT_USER_ID, message_id: int | None = None, **content: Any
) -> dict[str, Any]:
    """An Update with a plain text message."""
    return {"message": message(chat_id, message_id=message_id, text=text, **content)}


def command(name: str, args: str = "", *, chat_id: int = DEFAULT_USER_ID) -> dict[str, Any]:
    """An Update with a /command (and its bot_command entity, as Telegram marks it)."""
    text = f"/{name} {args}".rstrip()
    entity = {"type": "bot_command", "offset": 0, "length": len(name) + 1}
    return text_message(text, chat_id=chat_id, entities=[entity])


def document_message(
    document: dict[str, Any], *, caption: str | None = None, chat_id: int = DEFAULT_USER_ID
) -> dict[str, Any]:
    """An Update with a file sent as a document (pass FakeBotAPI.add_file's result)."""
    msg = message(chat_id, document=document)
    if caption:
        msg["caption"] = caption
    return {"message": msg}


def callback_query(
    data: str,
    *,
    chat_id: int = DEFAULT_USER_ID,
    message_id: int = 1,
    message_text: str = "Choose:",
    bot_id: int = DEFAULT_BOT_ID,
) -> dict[str, Any]:
    """An Update for a press on an inline button under the bot's message `message_id`."""
    bot_message = message(
        chat_id, sender=bot_user(bot_id), message_id=message_id, text=message_text
    )
    return {
        "callback_query": {
            "id": str(4_000_000_000_000 + next(_query_ids)),
            "from": user(chat_id if chat_id > 0 else DEFAULT_USER_ID),
            "message": bot_message,
            "chat_instance": f"-{8_000_000_000 + abs(chat_id)}",
            "data": data,
        }
    }


def pre_checkout_query(
    *, payload: str, total_amount: int, currency: str = "XTR", user_id: int = DEFAULT_USER_ID
) -> dict[str, Any]:
    """An Update asking the bot to confirm a checkout before the payment is taken."""
    return {
        "pre_checkout_query": {
            "id": str(5_000_000_000_000 + next(_query_ids)),
            "from": user(user_id),
            "currency": currency,
            "total_amount": total_amount,
            "invoice_payload": payload,
        }
    }


def successful_payment_message(
    *,
    payload: str,
    total_amount: int,
    currency: str = "XTR",
    chat_id: int = DEFAULT_USER_ID,
    charge_id: str | None = None,
    subscription_expiration_date: int | None = None,
) -> dict[str, Any]:
    """An Update with the service message Telegram sends after a payment went through."""
    payment: dict[str, Any] = {
        "currency": currency,
        "total_amount": total_amount,
        "invoice_payload": payload,
        "telegram_payment_charge_id": charge_id or f"stxFakeCharge{next(_query_ids)}",
        "provider_payment_charge_id": "",
    }
    if subscription_expiration_date is not None:
        payment["subscription_expiration_date"] = subscription_expiration_date
        payment["is_recurring"] = True
    return {"message": message(chat_id, successful_payment=payment)}


def edited_message(text: str, *, message_id: int, chat_id: int = DEFAULT_USER_ID) -> dict[str, Any]:
    """An Update for a user's edit of their earlier message `message_id`."""
    edited = message(chat_id, message_id=message_id, date=now() - 60, text=text)
    edited["edit_date"] = now()
    return {"edited_message": edited}


def sticker_message(*, emoji: str = "👍", chat_id: int = DEFAULT_USER_ID) -> dict[str, Any]:
    """An Update with a regular static sticker."""
    n = next(_query_ids)
    sticker = {
        "file_id": f"CAACAgIAAxkBAAEFakeSticker{n}",
        "file_unique_id": f"AgADSt{n}",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "emoji": emoji,
        "set_name": "FakeAthletes",
        "file_size": 23_456,
    }
    return {"message": message(chat_id, sticker=sticker)}


def voice_message(
    *, duration: int = 4, file: dict[str, Any] | None = None, chat_id: int = DEFAULT_USER_ID
) -> dict[str, Any]:
    """An Update with a voice note; pass FakeBotAPI.add_file's result to make it downloadable."""
    n = next(_query_ids)
    voice: dict[str, Any] = {
        "file_id": f"AwACAgIAAxkBAAEFakeVoice{n}",
        "file_unique_id": f"AgADVo{n}",
        "duration": duration,
        "mime_type": "audio/ogg",
        "file_size": 8_192,
    }
    if file is not None:
        voice.update({k: file[k] for k in ("file_id", "file_unique_id", "file_size") if k in file})
    return {"message": message(chat_id, voice=voice)}


def my_chat_member(
    chat_id: int, *, status: str = "member", old_status: str = "left", bot_id: int = DEFAULT_BOT_ID
) -> dict[str, Any]:
    """An Update telling the bot its own membership in a chat changed (e.g. added to a group)."""
    return {
        "my_chat_member": {
            "chat": chat(chat_id),
            "from": user(),
            "date": now(),
            "old_chat_member": {"status": old_status, "user": bot_user(bot_id)},
            "new_chat_member": {"status": status, "user": bot_user(bot_id)},
        }
    }
