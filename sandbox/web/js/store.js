// What the page knows about each chat: its messages as they stand now, its reply keyboard, unread counts.

export const chats = new Map();

export function chat(chatId) {
  if (!chats.has(chatId)) chats.set(chatId, { messages: new Map(), keyboard: null, unread: 0, loaded: false });
  return chats.get(chatId);
}

/** Replace a chat's content with a transcript from the control API. */
export function load(chatId, data) {
  const entry = chat(chatId);
  entry.messages.clear();
  for (const record of data.messages) entry.messages.set(record.message.message_id, record);
  entry.keyboard = data.reply_keyboard;
  entry.loaded = true;
  return entry;
}

/** Apply one feed event; returns the chat id it touched (or null). */
export function apply(event, botId) {
  if (event.bot_id !== botId || !["message", "edit", "delete"].includes(event.type)) return null;
  const entry = chat(event.chat_id);
  const record = { message: event.message, from_bot: event.from_bot, deleted: event.deleted, reply_keyboard: event.reply_keyboard };
  const known = entry.messages.has(record.message.message_id);
  entry.messages.set(record.message.message_id, record);
  if (event.type === "message" && record.reply_keyboard) entry.keyboard = record.reply_keyboard;
  if (event.type === "message" && record.from_bot && !known) entry.unread += 1;
  return event.chat_id;
}

/** The messages in order, deleted ones left out. */
export function ordered(chatId) {
  return [...chat(chatId).messages.values()]
    .filter((record) => !record.deleted)
    .sort((a, b) => a.message.message_id - b.message.message_id);
}

/** A one-line preview of a chat's last message, for the people list. */
export function preview(chatId) {
  const list = ordered(chatId);
  const last = list[list.length - 1];
  if (!last) return "";
  const m = last.message;
  if (m.text) return m.text.split("\n")[0];
  if (m.caption) return "🖼 " + m.caption.split("\n")[0];
  if (m.photo) return "🖼";
  if (m.location) return "📍";
  if (m.document) return "📎 " + (m.document.file_name || "");
  return "…";
}
