// Messages as a messenger shows them: formatted text, photos and albums, locations, documents, keyboards.
import { fileUrl } from "./api.js";

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

const ENTITY_TAGS = { bold: "b", italic: "i", underline: "u", strikethrough: "s", code: "code", pre: "pre", blockquote: "blockquote" };

/** Text with Telegram entities (offsets in UTF-16 units, as JavaScript strings count). */
export function formatText(text, entities, onCommand) {
  const sorted = [...(entities || [])].sort((a, b) => a.offset - b.offset || b.length - a.length);
  const build = (start, end, list) => {
    const fragment = document.createDocumentFragment();
    let cursor = start;
    for (let i = 0; i < list.length; i++) {
      const entity = list[i];
      if (entity.offset < cursor) continue;
      const stop = entity.offset + entity.length;
      const inner = list.filter((e, j) => j > i && e.offset >= entity.offset && e.offset + e.length <= stop);
      fragment.append(text.slice(cursor, entity.offset));
      const after = text.slice(stop, stop + 16);
      fragment.append(entityNode(entity, text.slice(entity.offset, stop), build(entity.offset, stop, inner), onCommand, after));
      cursor = stop;
    }
    fragment.append(text.slice(cursor, end));
    return fragment;
  };
  return build(0, text.length, sorted);
}

/** What a click on a /command sends: the command, with the case number that follows it ("/case 75"). */
export function commandToSend(raw, after) {
  const number = /^ #?(\d{1,12})(?!\d)/.exec(after || "");
  return number ? `${raw} ${number[1]}` : raw;
}

function entityNode(entity, raw, children, onCommand, after) {
  if (entity.type === "text_link" || entity.type === "url") {
    const a = el("a");
    a.href = entity.url || raw;
    a.target = "_blank";
    a.rel = "noopener";
    a.append(children);
    return a;
  }
  if (entity.type === "bot_command" && onCommand) {
    const a = el("a", "command");
    const command = commandToSend(raw, after);
    a.append(children);
    a.href = "#";
    a.title = command;
    a.dataset.command = command;
    a.addEventListener("click", (event) => { event.preventDefault(); onCommand(command); });
    return a;
  }
  if (entity.type === "spoiler") {
    const span = el("span", "spoiler");
    span.append(children);
    span.addEventListener("click", () => span.classList.remove("spoiler"));
    return span;
  }
  const node = el(ENTITY_TAGS[entity.type] || "span");
  node.append(children);
  return node;
}

// Times are the city's (the demo clock's) in the page's language.
function time(message, ctx) {
  const options = { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: ctx.tz };
  return new Date(message.date * 1000).toLocaleTimeString(ctx.dateLocale, options);
}

function dayOf(message, ctx) {
  const options = { month: "long", day: "numeric", weekday: "short", timeZone: ctx.tz };
  return new Date(message.date * 1000).toLocaleDateString(ctx.dateLocale, options);
}

function photoImg(sizes, ctx, className = "photo") {
  const img = el("img", className);
  const preview = sizes.find((s) => s.width >= 640) || sizes[sizes.length - 1];  // sharp at bubble width
  img.src = fileUrl(preview.file_id);
  img.alt = "photo";
  img.loading = "lazy";
  img.addEventListener("click", () => ctx.onZoom(fileUrl(sizes[sizes.length - 1].file_id)));
  return img;
}

function content(group, ctx) {
  const first = group[0].message;
  const bubble = el("div", "bubble");
  if (first.reply_to_message) {
    const quoted = first.reply_to_message;
    bubble.append(el("div", "quote", quoted.text || quoted.caption || (quoted.photo ? "🖼" : "…")));
  }
  if (group.length > 1) {
    bubble.classList.add("media");
    const album = el("div", "album");
    for (const record of group) if (record.message.photo) album.append(photoImg(record.message.photo, ctx, ""));
    bubble.append(album);
  } else if (first.photo) {
    bubble.classList.add("media");
    bubble.append(photoImg(first.photo, ctx));
  } else if (first.location) {
    bubble.classList.add("media");
    bubble.append(ctx.locationCard(first.location, first.venue));
  } else if (first.document) {
    const doc = el("div", "doc");
    doc.append(el("div", "doc-icon", (first.document.file_name || "file").split(".").pop().slice(0, 4).toUpperCase()));
    const name = el("div", null, first.document.file_name || "file");
    name.append(el("small", null, `${Math.max(1, Math.round((first.document.file_size || 0) / 1024))} KB`));
    doc.append(name);
    bubble.append(doc);
  } else if (first.sticker) {
    bubble.append(el("div", "text", first.sticker.emoji || "🙂"));
  }
  const captioned = group.find((record) => record.message.caption);
  const text = first.text ?? captioned?.message.caption;
  const entities = first.text !== undefined ? first.entities : captioned?.message.caption_entities;
  if (text) {
    const node = el("div", "text");
    node.append(formatText(text, entities, ctx.onCommand));
    bubble.append(node);
  }
  const meta = el("span", "meta", (first.edit_date ? `${ctx.t.edited} · ` : "") + time(first, ctx));
  (bubble.querySelector(".text") || bubble).append(meta);
  return bubble;
}

function inlineKeyboard(record, ctx) {
  const rows = record.message.reply_markup?.inline_keyboard;
  if (!rows || !rows.length) return null;
  const box = el("div", "inline-keyboard");
  for (const row of rows) {
    const line = el("div", "row");
    for (const button of row) {
      const node = el("button", null, button.text);
      node.type = "button";
      node.dataset.button = button.text;
      node.addEventListener("click", () => ctx.onPress(record, button, node));
      line.append(node);
    }
    box.append(line);
  }
  return box;
}

/** Group album parts together, as Telegram shows them. */
function groups(records) {
  const out = [];
  for (const record of records) {
    const last = out[out.length - 1];
    const album = record.message.media_group_id;
    if (album && last && last[0].message.media_group_id === album) last.push(record);
    else out.push([record]);
  }
  return out;
}

/** Draw a whole chat into `container`. */
export function renderChat(container, records, ctx) {
  container.replaceChildren();
  if (!records.length) {
    container.append(el("div", "empty", ctx.emptyText));
    return;
  }
  let day = null;
  for (const group of groups(records)) {
    const first = group[0];
    const today = dayOf(first.message, ctx);
    if (today !== day) {
      container.append(el("div", "day", today));
      day = today;
    }
    const wrap = el("div", first.from_bot ? "msg in" : "msg out");
    wrap.dataset.messageId = first.message.message_id;
    wrap.append(content(group, ctx));
    const keyboard = inlineKeyboard(group[group.length - 1], ctx);
    if (keyboard) wrap.append(keyboard);
    container.append(wrap);
  }
}
