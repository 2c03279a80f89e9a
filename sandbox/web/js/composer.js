// What the current person can send: text and commands, photos and albums, locations, reply-keyboard taps.
import { act, sampleFile } from "./api.js";
import { closePopup, setPicking } from "./map.js";
import { el } from "./render.js";
import { isWeChat, wxSend, wxSendFiles, wxSendLocation } from "./wechat.js";

let current = () => null;
let notify = () => {};
let afterWeChat = async () => {};
let chosen = [];
let uploads = [];

const $ = (id) => document.getElementById(id);

export function initComposer({ persona, onError, samples, onSent, onWeChat }) {
  current = persona;
  notify = onError;
  afterWeChat = onWeChat || afterWeChat;
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("text-input").value.trim();
    if (!text) return;
    $("text-input").value = "";
    sendText(text).then(onSent);
  });
  $("attach-button").addEventListener("click", () => togglePicker());
  $("location-button").addEventListener("click", () => setPicking(true));
  $("picker-cancel").addEventListener("click", () => togglePicker(false));
  $("picker-send").addEventListener("click", () => sendPhotos().then(onSent));
  $("upload-input").addEventListener("change", (event) => {
    uploads = [...event.target.files];
    $("picker-send").disabled = !(uploads.length || chosen.length);
    if (uploads.length) sendPhotos().then(onSent);
  });
  const box = $("samples");
  for (const sample of samples) {
    const button = el("button", "sample");
    button.type = "button";
    button.dataset.sample = sample.name;
    const img = el("img");
    img.src = sample.url;
    img.alt = sample.name;
    button.append(img, el("span", "tick", "✓"));
    button.addEventListener("click", () => {
      button.classList.toggle("on");
      chosen = [...box.querySelectorAll(".sample.on")].map((node) => node.dataset.sample);
      $("picker-send").disabled = !chosen.length;
    });
    box.append(button);
  }
}

export function togglePicker(open = $("photo-picker").hidden) {
  $("photo-picker").hidden = !open;
  if (!open) {
    for (const node of document.querySelectorAll(".sample.on")) node.classList.remove("on");
    chosen = [];
    uploads = [];
    $("caption-input").value = "";
    $("upload-input").value = "";
    $("picker-send").disabled = true;
  }
}

async function guarded(action) {
  try {
    return await action();
  } catch (error) {
    notify(error.message);
    return null;
  }
}

export function sendText(text) {
  const persona = current();
  if (isWeChat(persona)) return guarded(() => wxSend(persona.chat_id, "text", { text })).then(afterWeChat);
  return guarded(() => act(persona.chat_id, "text", { text }));
}

async function sendPhotos() {
  const persona = current();
  const files = uploads.length ? uploads : await Promise.all(chosen.map((name) => sampleFile(`/demo/assets/${name}.jpg`, name)));
  const caption = $("caption-input").value.trim();
  const asFile = $("as-file").checked;
  togglePicker(false);
  if (!files.length) return null;
  if (isWeChat(persona)) return guarded(() => wxSendFiles(persona.chat_id, files.slice(0, 9))).then(afterWeChat);
  return guarded(async () => {
    if (asFile) {
      for (const [i, file] of files.entries()) await act(persona.chat_id, "document", { caption: i ? "" : caption }, [file]);
    } else if (files.length === 1) {
      await act(persona.chat_id, "photo", { caption }, files);
    } else {
      await act(persona.chat_id, "album", { caption }, files.slice(0, 10));
    }
  });
}

export function sendLocation(lat, lon, label) {
  const persona = current();
  setPicking(false);
  if (isWeChat(persona)) return guarded(() => wxSendLocation(persona.chat_id, lat, lon, label)).then(afterWeChat);
  return guarded(() => act(persona.chat_id, "location", { latitude: lat, longitude: lon }));
}

export function press(record, button, node) {
  const persona = current();
  if (button.url) { window.open(button.url, "_blank", "noopener"); return null; }
  node.disabled = true;
  return guarded(() => act(persona.chat_id, "press", { message_id: record.message.message_id, button: button.callback_data }))
    .finally(() => { node.disabled = false; });
}

/** The reply keyboard the bot left open in this chat (a location button opens the map). */
export function renderReplyKeyboard(keyboard, onSent) {
  const box = $("reply-keyboard");
  box.replaceChildren();
  box.hidden = !keyboard?.keyboard?.length;
  if (box.hidden) return;
  for (const row of keyboard.keyboard) {
    const line = el("div", "row");
    for (const raw of row) {
      const button = typeof raw === "string" ? { text: raw } : raw;
      const node = el("button", null, button.text);
      node.type = "button";
      node.dataset.button = button.text;
      node.addEventListener("click", () => {
        if (keyboard.one_time_keyboard) box.hidden = true;
        if (button.request_location) { closePopup(); setPicking(true); return; }
        if (button.request_contact) { guarded(() => act(current().chat_id, "contact", {})).then(onSent); return; }
        sendText(button.text).then(onSent);
      });
      line.append(node);
    }
    box.append(line);
  }
}

/** Shortcut chips for the commands this person has (what /help lists for their role, the role's own first). */
export function renderCommands(commands, onSent) {
  const box = $("command-chips");
  box.replaceChildren();
  for (const command of commands) {
    const chip = el("button", command.role ? "role" : null, `/${command.command}`);
    chip.type = "button";
    chip.title = command.description;
    chip.dataset.command = command.command;
    chip.addEventListener("click", () => {
      if (!command.argument) { sendText(`/${command.command}`).then(onSent); return; }
      // A command that needs a case number: put it in the composer for the person to complete.
      const input = $("text-input");
      input.value = `/${command.command} `;
      input.focus();
    });
    box.append(chip);
  }
}
