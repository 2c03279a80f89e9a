// The playground: people on the left, their chat with the bot in the middle, the grid map on the right.
import { follow, get, post, transcript } from "./api.js";
import { initComposer, press, renderCommands, renderReplyKeyboard, sendLocation, sendText, togglePicker } from "./composer.js";
import { STATUS_COLOURS, closePopup, loadMap, locationCard, refreshPins, setPicking } from "./map.js";
import { el, renderChat } from "./render.js";
import * as store from "./store.js";
import { renderClock, setupClock } from "./clock.js";
import { showAlert, showToast, setupOverlays, zoom } from "./overlays.js";
import { isWeChat, renderWeChat, wxChat, wxLoad, wxPoll, wxPreview, wxSend } from "./wechat.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
let boot = null;
let activeKey = params.get("persona") || localStorage.getItem("citybot.persona") || "citizen";
let pinsTimer = null;

const active = () => boot.personas.find((p) => p.key === activeKey) || boot.personas[0];
const isChannel = (persona) => persona.kind === "channel";

function uiLocale() {
  const wanted = params.get("lang") || localStorage.getItem("citybot.ui") || navigator.language || "zh";
  return wanted.toLowerCase().startsWith("zh") ? "zh_CN" : "en";
}

function applyLabels(ui) {
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = ui[node.dataset.t] ?? node.textContent;
  for (const node of document.querySelectorAll("[data-t-placeholder]")) node.placeholder = ui[node.dataset.tPlaceholder];
  for (const node of document.querySelectorAll("[data-t-title]")) node.title = ui[node.dataset.tTitle];
  for (const node of document.querySelectorAll("[data-ui-lang]")) {
    node.textContent = node.dataset.uiLang === "en" ? "EN" : "中文";  // set late: see fontsReady()
    node.classList.toggle("on", node.dataset.uiLang === boot.locale);
  }
  document.documentElement.lang = boot.locale === "zh_CN" ? "zh-CN" : "en";
}

function avatar(persona, size) {
  const node = el("div", "avatar");
  node.style.background = persona.color;
  if (size) node.style.width = node.style.height = `${size}px`;
  if (isChannel(persona)) {
    node.innerHTML = '<svg viewBox="0 0 24 24"><path d="M3 10v4h3l5 4V6L6 10H3zm13.5 2A4.5 4.5 0 0 0 14 8v8a4.5 4.5 0 0 0 2.5-4zM14 3.2v2.1a7 7 0 0 1 0 13.4v2.1a9 9 0 0 0 0-17.6z"/></svg>';
  } else {
    node.textContent = [...persona.name][0];
  }
  return node;
}

function roleText(persona) {
  if (isWeChat(persona)) return boot.ui.role_wechat;
  return boot.ui[`role_${persona.kind}`] || persona.kind;
}

const previewOf = (persona) => (isWeChat(persona) ? wxPreview(persona.chat_id) : store.preview(persona.chat_id));
const unreadOf = (persona) => (isWeChat(persona) ? wxChat(persona.chat_id).unread : store.chat(persona.chat_id).unread);

function renderPeople() {
  const nav = $("personas");
  nav.replaceChildren();
  for (const persona of boot.personas) {
    const row = el("button", "persona" + (persona.key === activeKey ? " active" : ""));
    row.type = "button";
    row.dataset.persona = persona.key;
    const who = el("div", "who");
    const name = el("div", "name", persona.name);
    name.append(el("span", "badge-lang", persona.language.startsWith("zh") ? "中" : "EN"));
    if (isWeChat(persona)) name.append(el("span", "badge-wechat", "微信"));
    who.append(name, el("div", "role", roleText(persona)), el("div", "preview", previewOf(persona)));
    const unread = unreadOf(persona);
    row.append(avatar(persona), who, unread && persona.key !== activeKey ? el("span", "unread", unread) : el("span"));
    row.addEventListener("click", () => switchTo(persona.key));
    nav.append(row);
  }
}

function renderHeader(persona) {
  const header = $("chat-header");
  if (isWeChat(persona)) {
    // WeChat's chat header: the account's name in the middle, who is chatting below it.
    const title = el("div", "grow wx-title");
    title.append(el("div", "title", persona.account), el("div", "sub", `${persona.name} · ${roleText(persona)}`));
    header.replaceChildren(title);
    return;
  }
  header.replaceChildren(avatar(persona, 40));
  const grow = el("div", "grow");
  grow.append(el("div", "title", persona.name));
  const detail = isChannel(persona) ? `@${boot.channel_username || "channel"} · ${roleText(persona)}`
    : [roleText(persona), persona.units.length ? boot.ui.unit_officers.replace("{units}", persona.units.join("、")) : ""]
      .filter(Boolean).join(" · ") + ` · @${boot.bot.username}`;
  grow.append(el("div", "sub", detail));
  header.append(grow);
  if (isChannel(persona)) return;
  header.append(el("span", "lang-label", boot.ui.language));
  const toggle = el("div", "segmented");
  for (const [code, label] of [["zh-hans", "中文"], ["en", "EN"]]) {
    const button = el("button", persona.language.startsWith(code.slice(0, 2)) ? "on" : "", label);
    button.type = "button";
    button.dataset.personaLang = code;
    button.addEventListener("click", async () => {
      const updated = await post(`/demo/api/personas/${persona.key}/language`, { language: code });
      Object.assign(persona, updated);
      renderAll();
    });
    toggle.append(button);
  }
  header.append(toggle);
}

function renderMessages(stick) {
  const persona = active();
  const box = $("messages");
  const nearBottom = stick || box.scrollHeight - box.scrollTop - box.clientHeight < 120;
  if (isWeChat(persona)) {
    renderWeChat(box, wxChat(persona.chat_id).entries, {
      tz: boot.timezone, dateLocale: boot.locale === "zh_CN" ? "zh-CN" : "en-GB", emptyText: boot.ui.wx_hint,
      persona, account: persona.account, onZoom: zoom,
      onMenu: (item) => wxAct(persona, "menu", { id: item.id, content: item.content }),
    });
    wxChat(persona.chat_id).unread = 0;
  } else renderChat(box, store.ordered(persona.chat_id), {
    tz: boot.timezone, t: boot.ui, dateLocale: boot.locale === "zh_CN" ? "zh-CN" : "en-GB",
    emptyText: isChannel(persona) ? boot.ui.channel_only : boot.ui.empty,
    locationCard, onZoom: zoom,
    onPress: (record, button, node) => press(record, button, node),
    onCommand: isChannel(persona) ? null : (command) => sendText(command),
  });
  if (!isWeChat(persona)) store.chat(persona.chat_id).unread = 0;
  if (nearBottom) {
    box.scrollTop = box.scrollHeight;
    for (const img of box.querySelectorAll("img")) img.addEventListener("load", () => { box.scrollTop = box.scrollHeight; });
  }
}

function renderAll(stick = true) {
  const persona = active();
  $("chat").classList.toggle("channel", isChannel(persona));
  $("chat").classList.toggle("wechat", isWeChat(persona));
  $("composer-area").hidden = isChannel(persona);
  $("channel-note").hidden = !isChannel(persona);
  renderHeader(persona);
  renderMessages(stick);
  renderReplyKeyboard(isChannel(persona) || isWeChat(persona) ? null : store.chat(persona.chat_id).keyboard, afterSend);
  renderCommands(persona.commands || [], afterSend);
  renderWeChatMenu(persona);
  renderPeople();
}

/** The Official Account's menu under a WeChat chat (its items post CLICK events, as WeChat does). */
function renderWeChatMenu(persona) {
  const box = $("wechat-menu");
  box.replaceChildren();
  box.hidden = !isWeChat(persona);
  if (box.hidden) return;
  for (const item of persona.menu) {
    const button = el("button", null, boot.ui[item.label] || item.key);
    button.type = "button";
    button.dataset.menuKey = item.key;
    button.addEventListener("click", () => wxAct(persona, "click", { key: item.key }));
    box.append(button);
  }
}

/** A WeChat action, then what the account said in answer. */
async function wxAct(persona, action, fields) {
  try {
    await wxSend(persona.chat_id, action, fields);
  } catch (error) {
    showToast(error.message);
  }
  await pollWeChat();
}

let polling = false;
async function pollWeChat() {
  if (polling) return;
  polling = true;
  try {
    let changed = false;
    for (const persona of boot.personas.filter(isWeChat)) {
      if (await wxPoll(persona.chat_id)) {
        changed = true;
        if (active() === persona) renderMessages(false);
      }
    }
    if (changed) renderPeople();
  } catch (error) {
    // the next tick tries again
  } finally {
    polling = false;
  }
}

function switchTo(key) {
  activeKey = key;
  localStorage.setItem("citybot.persona", key);
  togglePicker(false);
  closePopup();
  setPicking(false);
  renderAll(true);
}

function afterSend() {
  $("text-input").focus();
}

async function refreshKeyboard(chatId) {
  const data = await transcript(chatId);
  store.chat(chatId).keyboard = data.reply_keyboard;
  if (active().chat_id === chatId) renderReplyKeyboard(data.reply_keyboard, afterSend);
}

function onEvents(events) {
  const touched = new Set();
  for (const event of events) {
    const chatId = store.apply(event, boot.bot.id);
    if (chatId !== null) touched.add(chatId);
    if (event.type === "callback_answer" && event.answer.user_id === active().chat_id && event.answer.text) {
      (event.answer.show_alert ? showAlert : showToast)(event.answer.text);
    }
  }
  if (touched.has(active().chat_id)) {
    renderMessages(false);
    refreshKeyboard(active().chat_id);
  }
  if (touched.size) {
    renderPeople();
    clearTimeout(pinsTimer);
    pinsTimer = setTimeout(refreshPins, 400);
  }
}

function renderLegend() {
  const legend = $("legend");
  legend.replaceChildren(el("span", null, boot.ui.open_cases + ":"));
  for (const [status, label] of Object.entries(boot.statuses)) {
    const item = el("span");
    const dot = el("i");
    dot.style.background = STATUS_COLOURS[status] || "#555";
    item.append(dot, label);
    legend.append(item);
  }
}

/** Wait for the Chinese and emoji fonts before the first paint: text laid out with a missing font can stay boxes. */
function fontsReady() {
  const fonts = document.fonts;
  const load = fonts ? Promise.all([fonts.load("16px DemoCJK", "\u57ce"), fonts.load("16px DemoEmoji", "\u{1F4F7}")])
    .catch(() => null) : Promise.resolve();
  return Promise.race([load, new Promise((resolve) => setTimeout(resolve, 8000))]);
}

async function start() {
  const fonts = fontsReady();
  boot = await get(`/demo/api/bootstrap?lang=${uiLocale()}`);
  await fonts;
  applyLabels(boot.ui);
  setupOverlays();
  setupClock(boot, (clock) => renderClock(clock, boot.ui));
  for (const node of document.querySelectorAll("[data-ui-lang]")) {
    node.addEventListener("click", () => {
      localStorage.setItem("citybot.ui", node.dataset.uiLang);
      params.set("lang", node.dataset.uiLang);
      location.search = params.toString();
    });
  }
  initComposer({ persona: active, onError: showToast, samples: boot.samples, onSent: afterSend, onWeChat: pollWeChat });
  await loadMap($("map-wrap"), { labels: boot.ui, onShare: (lat, lon, name) => sendLocation(lat, lon, name), canShare: () => !isChannel(active()) });
  await Promise.all(boot.personas.map(async (p) => (isWeChat(p) ? wxLoad(p.chat_id)
    : store.load(p.chat_id, await transcript(p.chat_id)))));
  renderAll(true);
  renderLegend();
  refreshPins();
  document.body.dataset.ready = "true";
  document.body.classList.add("ready");
  follow(boot.events_after, onEvents, (up) => showToast(up ? "✓" : "…"));
  setInterval(pollWeChat, 1000);
}

start().catch((error) => showAlert(`citybot demo: ${error.message}`));
