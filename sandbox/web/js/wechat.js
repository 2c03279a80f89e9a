// The WeChat persona: their chat with the city's Official Account in the offline WeChat, drawn as WeChat does.
import { get, post } from "./api.js";
import { el } from "./render.js";

const BASE = "/sandbox/wechat/api/users";
const chats = new Map();  // openid → { entries, last, unread }

export const isWeChat = (persona) => persona?.channel === "wechat";
export const mediaUrl = (mediaId) => `/sandbox/wechat/api/media/${encodeURIComponent(mediaId)}`;

export function wxChat(openid) {
  if (!chats.has(openid)) chats.set(openid, { entries: [], last: 0, unread: 0 });
  return chats.get(openid);
}

function add(openid, entries) {
  const chat = wxChat(openid);
  for (const entry of entries) {
    if (entry.seq <= chat.last) continue;
    chat.entries.push(entry);
    chat.last = entry.seq;
    if (!entry.from_user && entry.msgtype !== "notice") chat.unread += 1;
  }
  return entries.length;
}

/** The whole chat, as the page opens. */
export async function wxLoad(openid) {
  const chat = wxChat(openid);
  chat.entries = [];
  chat.last = 0;
  add(openid, await get(`${BASE}/${encodeURIComponent(openid)}/conversation`));
  chat.unread = 0;
}

/** What arrived since the last look; returns how many entries are new. */
export async function wxPoll(openid) {
  return add(openid, await get(`${BASE}/${encodeURIComponent(openid)}/conversation?after=${wxChat(openid).last}`));
}

export function wxPreview(openid) {
  const last = wxChat(openid).entries.filter((e) => e.msgtype !== "event").at(-1);
  if (!last) return "";
  if (last.msgtype === "image") return "[图片]";
  if (last.msgtype === "location") return "[位置]";
  return (last.text || "").split("\n")[0];
}

/** Act as the person: text, menu (a msgmenu item), click (the account's menu), image, location. */
export function wxSend(openid, action, fields = {}) {
  return post(`${BASE}/${encodeURIComponent(openid)}/${action}`, fields);
}

async function base64Of(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** Photos, one message each: WeChat has no albums. */
export async function wxSendFiles(openid, files) {
  for (const file of files) {
    await wxSend(openid, "image", { data_base64: await base64Of(file), content_type: file.type || "image/jpeg" });
  }
}

/** A spot picked on the (WGS-84) grid map, sent as WeChat's map reports it: in GCJ-02. */
export async function wxSendLocation(openid, lat, lon, label) {
  const shifted = await get(`/demo/api/wechat/gcj02?lat=${lat}&lon=${lon}`);
  return wxSend(openid, "location", { lat: shifted.lat, lon: shifted.lon, label: label || "" });
}

function avatar(text, colour) {
  const node = el("div", "wx-avatar", [...text][0]);
  node.style.background = colour;
  return node;
}

function time(entry, ctx) {
  const options = { month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: ctx.tz };
  return new Date(entry.at).toLocaleString(ctx.dateLocale, options);
}

function bubble(entry, ctx) {
  const node = el("div", "wx-bubble");
  if (entry.msgtype === "image") {
    node.classList.add("media");
    const img = el("img", "wx-photo");
    img.src = mediaUrl(entry.media_id);
    img.alt = "photo";
    img.addEventListener("click", () => ctx.onZoom(img.src));
    node.append(img);
  } else if (entry.msgtype === "location") {
    node.classList.add("location");
    node.append(el("b", null, entry.label || "📍"), el("small", null, `${(+entry.lat).toFixed(5)}, ${(+entry.lon).toFixed(5)}`));
    node.append(el("div", "wx-map-strip", "📍"));
  } else if (entry.msgtype === "msgmenu") {
    const menu = entry.menu || {};
    if (menu.head_content) node.append(el("div", "wx-text", menu.head_content));
    for (const item of menu.list || []) {
      const link = el("a", "wx-menu-item", item.content);
      link.href = "#";
      link.dataset.menuId = item.id;
      link.addEventListener("click", (event) => { event.preventDefault(); ctx.onMenu(item); });
      node.append(link);
    }
    if (menu.tail_content) node.append(el("div", "wx-text", menu.tail_content));
  } else if (entry.msgtype === "template") {
    node.classList.add("template");
    node.append(el("div", "wx-text", entry.text || ""));
  } else {
    node.append(el("div", "wx-text", entry.text ?? ""));
  }
  return node;
}

/** Draw the person's chat with the account: their messages on the right, the account's on the left. */
export function renderWeChat(container, entries, ctx) {
  container.replaceChildren();
  const shown = entries.filter((entry) => entry.msgtype !== "event");
  if (!shown.length) {
    container.append(el("div", "empty", ctx.emptyText));
    return;
  }
  let lastTime = 0;
  for (const entry of shown) {
    const at = Date.parse(entry.at);
    if (at - lastTime > 5 * 60 * 1000) container.append(el("div", "wx-time", time(entry, ctx)));
    lastTime = at;
    if (entry.msgtype === "notice") {
      container.append(el("div", "wx-notice", entry.text));
      continue;
    }
    const row = el("div", entry.from_user ? "wx-msg out" : "wx-msg in");
    row.dataset.seq = entry.seq;
    const who = entry.from_user ? avatar(ctx.persona.name, ctx.persona.color) : avatar(ctx.account, "#07c160");
    row.append(who, bubble(entry, ctx));
    container.append(row);
  }
}
