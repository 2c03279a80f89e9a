// Talking to the sandbox's control API and the demo API, and following the live event feed.

async function call(method, path, body) {
  const options = { method, headers: {} };
  if (body instanceof FormData) {
    options.body = body;
  } else if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  const data = await response.json().catch(() => ({ ok: false, description: response.statusText }));
  if (!data.ok) throw new Error(data.description || `HTTP ${response.status}`);
  return data.result;
}

export const get = (path) => call("GET", path);
export const post = (path, body) => call("POST", path, body ?? {});

/** Act as a person: text, photo, album, document, location, press... (see the sandbox README). */
export function act(userId, action, fields = {}, files = []) {
  if (!files.length) return post(`/sandbox/api/users/${userId}/${action}`, fields);
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined && value !== null && value !== "") form.append(key, String(value));
  }
  for (const file of files) form.append("file", file, file.name || "photo.jpg");
  return post(`/sandbox/api/users/${userId}/${action}`, form);
}

export const transcript = (chatId) => get(`/sandbox/api/chats/${chatId}/messages`);
export const fileUrl = (fileId) => `/sandbox/api/files/${encodeURIComponent(fileId)}`;

/** Long-poll the event feed forever, handing each batch to `onEvents`; backs off while the server is away. */
export async function follow(after, onEvents, onState) {
  let last = after;
  let failures = 0;
  for (;;) {
    try {
      const result = await get(`/sandbox/api/events?after=${last}&timeout=25`);
      if (failures) onState?.(true);
      failures = 0;
      if (result.events.length) {
        last = result.last;
        onEvents(result.events);
      }
    } catch (error) {
      failures += 1;
      if (failures === 1) onState?.(false);
      await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 500 * failures)));
    }
  }
}

/** A sample photo as a File, ready to upload like one picked from disk. */
export async function sampleFile(url, name) {
  const blob = await (await fetch(url)).blob();
  return new File([blob], `${name}.jpg`, { type: blob.type || "image/jpeg" });
}
